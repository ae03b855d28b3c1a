#pragma once
#include <optional>
#include <string>

#include "base/result.hpp"
#include "vmm/config.hpp"

namespace hyper {

// Parses argv. Returns a config, or nullopt when --help/--version printed and vmm
// should exit 0. Errors carry ExitCode::Usage.
Result<std::optional<VmConfig>> parse_command_line(int argc, char** argv);

} // namespace hyper
