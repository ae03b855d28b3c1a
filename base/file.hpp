#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/mapping.hpp"
#include "base/result.hpp"

namespace hyper {

// Reads a whole regular file named on the command line. Missing, unreadable, not a
// regular file or larger than `max_size`: ExitCode::NoInput with a line naming `what`.
Result<std::vector<uint8_t>> read_file(const std::string& path, const char* what,
                                       uint64_t max_size);

// A whole regular file mapped read-only (the kernel image: no heap copy, no zero-filled
// buffer); the same checks and errors as read_file.
class MappedFile {
  public:
    std::span<const uint8_t> bytes() const { return {m_map.data(), m_map.size()}; }

  private:
    friend Result<MappedFile> map_file(const std::string&, const char*, uint64_t);
    Mapping m_map; // empty for an empty file
};
Result<MappedFile> map_file(const std::string& path, const char* what, uint64_t max_size);

} // namespace hyper
