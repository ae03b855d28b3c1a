#pragma once
// Everything a VM builder calls to boot an arm64 Linux guest, in order:
//
//   auto mem = TRY(GuestMemory::create(arm64::ram_ranges(ram_bytes)));
//   arm64::BootInfo info{...};                      // cpus' MPIDRs, GIC, virtio devices
//   info.kernel = TRY(boot::load_arm64_image(mem, image, arm64::k_ram_start));
//   info.kernel.initrd_addr_max = arm64::fdt_addr(ram_bytes) - 1; // initrd below the DT
//   info.initrd = TRY(boot::load_initrd(mem, info.kernel, initrd_bytes));    // if any
//   arm64::BootCpuState boot = TRY(arm64::setup_boot(mem, info));
//
// setup_boot writes the device tree into the last 2 MiB of RAM and returns the boot
// vCPU's registers (PC = the Image's entry, x0 = the device tree). The other vCPUs start
// powered off; the guest brings them up through PSCI CPU_ON.
#include <optional>
#include <string>
#include <vector>

#include "arch/aarch64/fdt.hpp"
#include "arch/aarch64/layout.hpp"
#include "base/guest_memory.hpp"
#include "base/result.hpp"
#include "boot/kernel.hpp"
#include "kvm/arm64_state.hpp"

namespace hyper::arm64 {

struct BootInfo {
    boot::LoadedKernel kernel;
    std::optional<boot::InitrdPlacement> initrd;
    std::string cmdline;
    uint64_t ram_bytes{0}; // as given to ram_ranges()
    std::vector<uint64_t> mpidrs;
    GicVersion gic{GicVersion::V3};
    std::vector<FdtVirtio> virtio;
};

// Longest kernel command line (COMMAND_LINE_SIZE on arm64, without the NUL).
inline constexpr size_t k_cmdline_max = 2047;

Result<BootCpuState> setup_boot(const GuestMemory& mem, const BootInfo& info);

} // namespace hyper::arm64
