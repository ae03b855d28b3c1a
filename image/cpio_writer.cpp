#include "image/cpio_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hyper::image {

namespace {
struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
} // namespace

Result<std::unique_ptr<CpioWriter>> CpioWriter::to_fd(int fd) {
    std::unique_ptr<CpioWriter> w(new CpioWriter());
    w->m_fd = fd;
    return open(std::move(w));
}

Result<std::unique_ptr<CpioWriter>> CpioWriter::to_memory(std::vector<uint8_t>& out) {
    std::unique_ptr<CpioWriter> w(new CpioWriter());
    w->m_memory = &out;
    return open(std::move(w));
}

Result<std::unique_ptr<CpioWriter>> CpioWriter::open(std::unique_ptr<CpioWriter> w) {
    w->m_archive = archive_write_new();
    if (!w->m_archive)
        return fail(ExitCode::HostResource, "libarchive: out of memory");
    if (archive_write_set_format_cpio_newc(w->m_archive) != ARCHIVE_OK ||
        archive_write_add_filter_none(w->m_archive) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(w->m_archive, 1) != ARCHIVE_OK)
        return w->archive_error("setting up the cpio writer");
    if (archive_write_open(w->m_archive, w.get(), nullptr, &CpioWriter::write_callback, nullptr) !=
        ARCHIVE_OK)
        return w->archive_error("opening the cpio writer");
    return w;
}

CpioWriter::~CpioWriter() {
    if (m_archive)
        archive_write_free(m_archive);
}

long CpioWriter::write_callback(struct archive* a, void* self_ptr, const void* buffer, size_t n) {
    auto* self = static_cast<CpioWriter*>(self_ptr);
    auto* bytes = static_cast<const uint8_t*>(buffer);
    if (self->m_memory) {
        self->m_memory->insert(self->m_memory->end(), bytes, bytes + n);
        return static_cast<long>(n);
    }
    size_t done = 0;
    while (done < n) {
        ssize_t r = ::write(self->m_fd, bytes + done, n - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            self->m_write_errno = errno;
            archive_set_error(a, errno, "write failed");
            return -1;
        }
        done += static_cast<size_t>(r);
    }
    return static_cast<long>(n);
}

Unexpected CpioWriter::archive_error(const std::string& context) {
    if (m_write_errno)
        return fail_errno("writing the initramfs: " + context, m_write_errno, ExitCode::CantCreate);
    const char* why = m_archive ? archive_error_string(m_archive) : nullptr;
    return fail(ExitCode::Internal, "cpio: " + context + (why ? std::string(": ") + why : ""));
}

Result<uint64_t> CpioWriter::header(const CpioEntry& e) {
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    if (!entry)
        return fail(ExitCode::HostResource, "libarchive: out of memory");
    uint64_t ino = e.ino ? e.ino : m_next_ino++;
    if (ino > 0xffffffffu)
        return fail(ExitCode::BadImage, "more than 4 billion files in one image");
    archive_entry_set_pathname(entry.get(), e.path.c_str());
    archive_entry_set_mode(entry.get(), e.mode);
    archive_entry_set_uid(entry.get(), e.uid);
    archive_entry_set_gid(entry.get(), e.gid);
    archive_entry_set_mtime(entry.get(), e.mtime, 0);
    archive_entry_set_nlink(entry.get(), e.nlink);
    archive_entry_set_ino64(entry.get(), static_cast<la_int64_t>(ino));
    archive_entry_set_dev(entry.get(), 0);
    if (S_ISREG(e.mode))
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.size));
    else
        archive_entry_set_size(entry.get(), 0);
    if (S_ISLNK(e.mode))
        archive_entry_set_symlink(entry.get(), e.symlink.c_str());
    if (S_ISCHR(e.mode) || S_ISBLK(e.mode)) {
        archive_entry_set_rdevmajor(entry.get(), e.rdev_major);
        archive_entry_set_rdevminor(entry.get(), e.rdev_minor);
    }
    if (archive_write_header(m_archive, entry.get()) < ARCHIVE_WARN)
        return archive_error("entry '" + e.path + "'");
    return ino;
}

Result<void> CpioWriter::data(std::span<const uint8_t> bytes) {
    if (bytes.empty())
        return {};
    la_ssize_t n = archive_write_data(m_archive, bytes.data(), bytes.size());
    if (n < 0 || static_cast<size_t>(n) != bytes.size())
        return archive_error("file data");
    return {};
}

Result<void> CpioWriter::file(const std::string& path, uint32_t perm,
                              std::span<const uint8_t> bytes) {
    CpioEntry e;
    e.path = path;
    e.mode = S_IFREG | perm;
    e.size = bytes.size();
    TRY(header(e));
    return data(bytes);
}

Result<void> CpioWriter::directory(const std::string& path, uint32_t perm) {
    CpioEntry e;
    e.path = path;
    e.mode = S_IFDIR | perm;
    e.nlink = 2;
    TRY(header(e));
    return {};
}

Result<void> CpioWriter::close() {
    if (archive_write_close(m_archive) != ARCHIVE_OK)
        return archive_error("closing the archive");
    return {};
}

} // namespace hyper::image
