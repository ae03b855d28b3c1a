#pragma once
// Everything a VM builder calls to boot an x86_64 Linux guest, in order:
//
//   auto mem = TRY(GuestMemory::create(x86::ram_ranges(ram_bytes)));
//   x86::BootInfo info{.ram_bytes = ram_bytes, .cpus = ncpus};
//   info.kernel = TRY(boot::load_kernel(mem, kernel_bytes));             // boot/kernel.hpp
//   info.initrd = TRY(boot::load_initrd(mem, info.kernel, initrd_bytes)); // if any
//   info.cmdline = TRY(boot::write_cmdline(mem, GuestAddress(x86::k_cmdline_addr),
//                                          x86::k_cmdline_max, info.kernel.cmdline_size,
//                                          cmdline));                   // boot/cmdline.hpp
//   x86::BootCpuState bsp = TRY(x86::setup_boot(mem, info));
//
// setup_boot writes the page tables, GDT/IDT/TSS, the MP table, the ACPI tables (when
// info.acpi is set) and either PVH start_info (ELF with a PVH note) or boot_params (every
// other kernel), and returns the BSP's registers. The pieces are also callable one by one (the
// headers below).
#include <cstdint>
#include <optional>

#include "arch/x86_64/acpi/tables.hpp"
#include "arch/x86_64/boot_params.hpp"
#include "arch/x86_64/cpu_state.hpp"
#include "arch/x86_64/gdt.hpp"
#include "arch/x86_64/layout.hpp"
#include "arch/x86_64/mptable.hpp"
#include "arch/x86_64/page_tables.hpp"
#include "arch/x86_64/start_info.hpp"
#include "base/guest_memory.hpp"
#include "base/result.hpp"
#include "boot/cmdline.hpp"
#include "boot/kernel.hpp"

namespace hyper::x86 {

struct BootInfo {
    boot::LoadedKernel kernel;
    std::optional<boot::InitrdPlacement> initrd;
    boot::CmdlinePlacement cmdline; // already in guest RAM
    uint64_t ram_bytes{0};          // as given to ram_ranges()
    uint32_t cpus{1};
    // ACPI tables (arch/x86_64/acpi/tables.hpp) to write and announce in boot_params or
    // start_info; none: only the MP table describes the machine.
    std::optional<acpi::AcpiConfig> acpi;
};

Result<BootCpuState> setup_boot(const GuestMemory& mem, const BootInfo& info);

} // namespace hyper::x86
