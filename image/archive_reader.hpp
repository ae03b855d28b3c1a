#pragma once
// Streams the entries of a tar file, optionally compressed with gzip, bzip2, xz or zstd,
// through libarchive. The file is read in 64 KiB pieces; nothing is held whole in memory.
// When a digest is expected the compressed bytes are hashed as they pass, and finish()
// fails unless the whole file matches.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "base/fd.hpp"
#include "base/result.hpp"
#include "image/gzip_check.hpp"
#include "image/sha256.hpp"

struct archive;
struct archive_entry;

namespace hyper::image {

class ArchiveReader {
  public:
    // `what` names the file in errors ("app.aci", "layer 2 of ...").
    // With `check_gzip`, a gzip-compressed file's CRC-32 and length trailers are checked
    // too (by finish()), which libarchive does not do.
    static Result<std::unique_ptr<ArchiveReader>>
    open(const std::string& path, std::string what,
         std::optional<std::string> expected_digest = std::nullopt, bool check_gzip = false);
    ~ArchiveReader();
    ArchiveReader(const ArchiveReader&) = delete;
    ArchiveReader& operator=(const ArchiveReader&) = delete;

    // The next entry's header, or nullptr after the last one. Valid until the next call.
    Result<archive_entry*> next();
    // Reads up to out.size() bytes of the current entry's data; 0 at its end.
    Result<size_t> read(std::span<uint8_t> out);
    // Reads the rest of the file (for the digest) and checks the digest.
    Result<void> finish();

    const std::string& what() const { return m_what; }

  private:
    ArchiveReader() = default;
    static long read_callback(struct archive*, void* self, const void** buffer);
    Unexpected archive_error(const std::string& context);
    void consume(std::span<const uint8_t> bytes); // every byte read from the file

    struct archive* m_archive{nullptr};
    Fd m_fd;
    std::string m_what;
    std::optional<std::string> m_expected;
    Sha256 m_hash;
    bool m_check_gzip{false};
    bool m_started{false};
    std::unique_ptr<GzipCheck> m_gzip; // set when checking and the file is gzip
    std::unique_ptr<uint8_t[]> m_buffer;
    int m_read_errno{0};
};

} // namespace hyper::image
