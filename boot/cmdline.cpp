#include "boot/cmdline.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace hyper::boot {

Result<CmdlinePlacement> write_cmdline(const GuestMemory& mem, GuestAddress addr,
                                       uint64_t area_size, uint64_t max_len,
                                       std::string_view cmdline) {
    if (cmdline.find('\0') != std::string_view::npos)
        return fail(ExitCode::Usage, "kernel command line contains a NUL byte");
    uint64_t limit = area_size == 0 ? 0 : std::min(max_len, area_size - 1);
    if (cmdline.size() > limit)
        return fail(ExitCode::Usage, "kernel command line is " + std::to_string(cmdline.size()) +
                                         " bytes; the kernel accepts at most " +
                                         std::to_string(limit));
    std::vector<uint8_t> bytes(cmdline.begin(), cmdline.end());
    bytes.push_back(0);
    if (!mem.write(addr, bytes))
        return fail(ExitCode::Internal, "the command line area is not in guest RAM");
    return CmdlinePlacement{addr.value(), static_cast<uint32_t>(cmdline.size())};
}

} // namespace hyper::boot
