#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace hyper {

// Reads a whole regular file named on the command line. Missing, unreadable, not a
// regular file or larger than `max_size`: ExitCode::NoInput with a line naming `what`.
Result<std::vector<uint8_t>> read_file(const std::string& path, const char* what,
                                       uint64_t max_size);

} // namespace hyper
