#include "image/archive_reader.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

namespace hyper::image {

namespace {
constexpr size_t k_buffer_size = 64 * 1024;
}

Result<std::unique_ptr<ArchiveReader>>
ArchiveReader::open(const std::string& path, std::string what,
                    std::optional<std::string> expected_digest, bool check_gzip) {
    std::unique_ptr<ArchiveReader> r(new ArchiveReader());
    r->m_check_gzip = check_gzip;
    r->m_what = std::move(what);
    r->m_expected = std::move(expected_digest);
    r->m_fd = Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!r->m_fd.valid())
        return fail_errno(r->m_what, errno, ExitCode::NoInput);
    r->m_buffer = std::make_unique<uint8_t[]>(k_buffer_size);
    r->m_archive = archive_read_new();
    if (!r->m_archive)
        return fail(ExitCode::HostResource, "libarchive: out of memory");
    // Only in-process decompressors: never a filter that runs an external program.
    archive_read_support_filter_gzip(r->m_archive);
    archive_read_support_filter_bzip2(r->m_archive);
    archive_read_support_filter_xz(r->m_archive);
    archive_read_support_filter_zstd(r->m_archive);
    archive_read_support_format_tar(r->m_archive);
    if (archive_read_open(r->m_archive, r.get(), nullptr, &ArchiveReader::read_callback, nullptr) !=
        ARCHIVE_OK)
        return r->archive_error("not a tar archive");
    return r;
}

ArchiveReader::~ArchiveReader() {
    if (m_archive)
        archive_read_free(m_archive);
}

long ArchiveReader::read_callback(struct archive* a, void* self_ptr, const void** buffer) {
    auto* self = static_cast<ArchiveReader*>(self_ptr);
    ssize_t n;
    do {
        n = ::read(self->m_fd.get(), self->m_buffer.get(), k_buffer_size);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        self->m_read_errno = errno;
        archive_set_error(a, errno, "read failed");
        return -1;
    }
    self->consume(std::span<const uint8_t>(self->m_buffer.get(), static_cast<size_t>(n)));
    *buffer = self->m_buffer.get();
    return n;
}

Unexpected ArchiveReader::archive_error(const std::string& context) {
    if (m_read_errno)
        return fail_errno(m_what + ": " + context, m_read_errno, ExitCode::NoInput);
    const char* why = archive_error_string(m_archive);
    return fail(ExitCode::BadImage,
                m_what + ": " + context + (why ? std::string(": ") + why : std::string()));
}

Result<archive_entry*> ArchiveReader::next() {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(m_archive, &entry);
    if (r == ARCHIVE_EOF)
        return nullptr;
    if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
        return entry;
    return archive_error("corrupt or truncated archive");
}

Result<size_t> ArchiveReader::read(std::span<uint8_t> out) {
    la_ssize_t n = archive_read_data(m_archive, out.data(), out.size());
    if (n < 0)
        return archive_error("corrupt or truncated data");
    return static_cast<size_t>(n);
}

void ArchiveReader::consume(std::span<const uint8_t> bytes) {
    if (!m_started && !bytes.empty()) {
        m_started = true;
        if (m_check_gzip && GzipCheck::is_gzip(bytes))
            m_gzip = std::make_unique<GzipCheck>();
    }
    if (m_expected)
        m_hash.update(bytes);
    if (m_gzip)
        m_gzip->update(bytes);
}

Result<void> ArchiveReader::finish() {
    if (!m_expected && !m_gzip)
        return {};
    // libarchive stops at the end-of-archive blocks; the digest covers every byte.
    for (;;) {
        ssize_t n = ::read(m_fd.get(), m_buffer.get(), k_buffer_size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail_errno(m_what, errno, ExitCode::NoInput);
        if (n == 0)
            break;
        consume(std::span<const uint8_t>(m_buffer.get(), static_cast<size_t>(n)));
    }
    if (m_gzip)
        TRY(m_gzip->finish(m_what));
    if (!m_expected)
        return {};
    std::string want = *m_expected;
    m_expected.reset();
    if (m_hash.finish_digest() != want)
        return fail(ExitCode::BadImage, m_what + ": content does not match its digest");
    return {};
}

} // namespace hyper::image
