#pragma once
// Member names from untrusted archives, made safe to place in a root file system.
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace hyper::image {

inline constexpr size_t k_max_entry_path = 4095; // PATH_MAX less the NUL

// "./usr//bin/" -> "usr/bin"; "" for the root itself ("./", "."). Absolute names, ".."
// components and names longer than k_max_entry_path fail with ExitCode::BadImage and a
// message naming the entry.
Result<std::string> normalize_entry_name(std::string_view name);

// "a/b/c" -> "a/b"; "a" -> "".
std::string_view parent_of(std::string_view path);

} // namespace hyper::image
