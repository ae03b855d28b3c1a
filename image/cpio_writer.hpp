#pragma once
// Writes a newc ("070701") cpio archive, the format the Linux initramfs unpacker reads,
// through libarchive, to a file descriptor or to memory. Entries stream: a file's data
// is written in pieces after its header.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"

struct archive;

namespace hyper::image {

struct CpioEntry {
    std::string path; // relative, normalised ("usr/bin/env")
    uint32_t mode{0}; // file type and permission bits (S_IFREG | 0755, ...)
    uint32_t uid{0};
    uint32_t gid{0};
    int64_t mtime{0};
    uint64_t size{0};  // regular files: bytes of data that follow
    uint32_t nlink{1}; // >= 2 makes the Linux unpacker link entries that share `ino`
    uint64_t ino{0};   // 0: the writer assigns a fresh one
    uint32_t rdev_major{0};
    uint32_t rdev_minor{0};
    std::string symlink; // symlink target
};

class CpioWriter {
  public:
    static Result<std::unique_ptr<CpioWriter>> to_fd(int fd);
    static Result<std::unique_ptr<CpioWriter>> to_memory(std::vector<uint8_t>& out);
    ~CpioWriter();
    CpioWriter(const CpioWriter&) = delete;
    CpioWriter& operator=(const CpioWriter&) = delete;

    // Returns the inode number written (for hard links to it).
    Result<uint64_t> header(const CpioEntry& entry);
    Result<void> data(std::span<const uint8_t> bytes);
    // A whole small file in one call.
    Result<void> file(const std::string& path, uint32_t perm, std::span<const uint8_t> bytes);
    Result<void> directory(const std::string& path, uint32_t perm);
    // Writes the trailer. Required; without it the archive is incomplete.
    Result<void> close();

  private:
    CpioWriter() = default;
    Result<std::unique_ptr<CpioWriter>> static open(std::unique_ptr<CpioWriter> w);
    static long write_callback(struct archive*, void* self, const void* buffer, size_t n);
    Unexpected archive_error(const std::string& context);

    struct archive* m_archive{nullptr};
    int m_fd{-1};
    std::vector<uint8_t>* m_memory{nullptr};
    uint64_t m_next_ino{1};
    int m_write_errno{0};
};

} // namespace hyper::image
