#include "base/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.hpp"

namespace hyper {

namespace {

// Opens `path` as a regular file of at most `max_size` bytes; `size` gets its size.
Result<Fd> open_checked(const std::string& path, const char* what, uint64_t max_size,
                        uint64_t& size) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return fail_errno(std::string(what) + " " + path, errno, ExitCode::NoInput);
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0)
        return fail_errno(std::string(what) + " " + path, errno, ExitCode::NoInput);
    if (!S_ISREG(st.st_mode))
        return fail(ExitCode::NoInput, std::string(what) + " " + path + " is not a regular file");
    if (static_cast<uint64_t>(st.st_size) > max_size)
        return fail(ExitCode::NoInput, std::string(what) + " " + path + " is larger than " +
                                           std::to_string(max_size >> 20) + " MiB");
    size = static_cast<uint64_t>(st.st_size);
    return fd;
}

} // namespace

Result<MappedFile> map_file(const std::string& path, const char* what, uint64_t max_size) {
    uint64_t size = 0;
    Fd fd = TRY(open_checked(path, what, max_size, size));
    MappedFile file;
    if (size > 0)
        file.m_map = TRY(Mapping::file_readonly(fd.get(), static_cast<size_t>(size))
                             .map_error([&](const Error& e) {
                                 return Error(ExitCode::NoInput,
                                              std::string("reading ") + what + " " + path, e.err());
                             }));
    return file;
}

Result<std::vector<uint8_t>> read_file(const std::string& path, const char* what,
                                       uint64_t max_size) {
    uint64_t size = 0;
    Fd fd = TRY(open_checked(path, what, max_size, size));
    std::vector<uint8_t> data(static_cast<size_t>(size));
    size_t done = 0;
    while (done < data.size()) {
        ssize_t r = ::read(fd.get(), data.data() + done, data.size() - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fail_errno(std::string("reading ") + what + " " + path, errno,
                              ExitCode::NoInput);
        if (r == 0)
            break;
        done += static_cast<size_t>(r);
    }
    data.resize(done);
    return data;
}

} // namespace hyper
