#pragma once
// The kernel command line in guest RAM: NUL-terminated, at a fixed address.
#include <cstdint>
#include <string_view>

#include "base/guest_memory.hpp"
#include "base/result.hpp"

namespace hyper::boot {

struct CmdlinePlacement {
    uint64_t addr{0};
    uint32_t size{0}; // bytes, without the terminating NUL
};

// Writes `cmdline` and a NUL at `addr`. Fails (ExitCode::Usage) when it is longer than
// `max_len` (the kernel's cmdline_size) or than the `area_size` bytes reserved for it,
// or when it holds a NUL.
Result<CmdlinePlacement> write_cmdline(const GuestMemory& mem, GuestAddress addr,
                                       uint64_t area_size, uint64_t max_len,
                                       std::string_view cmdline);

} // namespace hyper::boot
