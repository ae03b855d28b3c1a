#include "vmm/initrd_loader.hpp"

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hyper {

namespace {

Result<void> read_exactly(int fd, std::span<uint8_t> out, const std::string& path) {
    size_t done = 0;
    while (done < out.size()) {
        ssize_t r = ::read(fd, out.data() + done, out.size() - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fail_errno("reading initrd " + path, errno, ExitCode::NoInput);
        if (r == 0)
            return fail(ExitCode::NoInput, "initrd " + path + " shrank while being read");
        done += static_cast<size_t>(r);
    }
    return {};
}

constexpr uint64_t align4(uint64_t n) {
    return (n + 3) & ~uint64_t{3};
}

} // namespace

Result<InitrdFile> open_initrd(const std::string& path, uint64_t max_size) {
    InitrdFile file{Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), 0};
    struct stat st {};
    if (!file.fd.valid() || ::fstat(file.fd.get(), &st) != 0)
        return fail_errno("initrd " + path, errno, ExitCode::NoInput);
    if (!S_ISREG(st.st_mode))
        return fail(ExitCode::NoInput, "initrd " + path + " is not a regular file");
    if (static_cast<uint64_t>(st.st_size) > max_size)
        return fail(ExitCode::NoInput, "initrd " + path + " is larger than " +
                                           std::to_string(max_size >> 20) + " MiB");
    file.size = static_cast<uint64_t>(st.st_size);
    return file;
}

Result<std::optional<boot::InitrdPlacement>>
load_initrds(const GuestMemory& memory, const boot::LoadedKernel& kernel, const std::string& path,
             std::optional<InitrdFile> file, std::span<const std::vector<uint8_t>> extra) {
    if (!file && extra.empty())
        return std::optional<boot::InitrdPlacement>{};
    if (file && file->size == 0)
        return fail(ExitCode::BadImage, "initrd " + path + " is empty");
    uint64_t total = file ? align4(file->size) : 0;
    for (const auto& piece : extra)
        total += align4(piece.size());
    auto placed = TRY(boot::place_initrd(memory, kernel, total));
    auto span = memory.host_span(GuestAddress(placed.addr), total);
    if (!span)
        return fail(ExitCode::Internal, "the initrd range is not in guest RAM");
    // Only the padding between the pieces is zeroed (not the whole range: the copy
    // writes every other byte, and each page touched twice costs on the way to boot).
    auto pad = [&](uint64_t from, uint64_t to) {
        std::fill(span->begin() + static_cast<ptrdiff_t>(from),
                  span->begin() + static_cast<ptrdiff_t>(to), 0);
    };
    uint64_t offset = 0;
    if (file) {
        TRY(read_exactly(file->fd.get(), span->subspan(0, file->size), path));
        pad(file->size, align4(file->size));
        offset = align4(file->size);
    }
    for (const auto& piece : extra) {
        std::copy(piece.begin(), piece.end(), span->begin() + static_cast<ptrdiff_t>(offset));
        pad(offset + piece.size(), offset + align4(piece.size()));
        offset += align4(piece.size());
    }
    return std::optional<boot::InitrdPlacement>{placed};
}

} // namespace hyper
