#include "arch/x86_64/boot_setup.hpp"

#include <cstddef>

namespace hyper::x86 {

Result<BootCpuState> setup_boot(const GuestMemory& mem, const BootInfo& info) {
    // The e820 map describes ram_ranges(ram_bytes): the memory must have that layout.
    auto ranges = ram_ranges(info.ram_bytes);
    auto regions = mem.regions();
    bool same = ranges.size() == regions.size();
    for (size_t i = 0; same && i < ranges.size(); ++i)
        same = regions[i].base.value() == ranges[i].first && regions[i].size == ranges[i].second;
    if (!same)
        return fail(ExitCode::Internal, "guest memory is not laid out by x86::ram_ranges");

    auto e820 = e820_map(info.ram_bytes);
    bool pvh = info.kernel.entry_mode == boot::EntryMode::Pvh32;
    // One step after another (TRY cannot take a Result<void>: it has no value()).
    Result<void> r = write_page_tables(mem);
    if (r)
        r = write_gdt(mem);
    if (r)
        r = write_mptable(mem, info.cpus);
    if (r)
        r = pvh ? write_start_info(mem, info.cmdline, info.initrd, e820)
                : write_boot_params(mem, info.kernel, info.cmdline, info.initrd, e820);
    if (!r)
        return Unexpected(std::move(r).error());
    if (info.acpi) {
        // The RSDP is also found by the scan of 0xe0000..0xfffff; naming it spares that.
        uint64_t rsdp = TRY(acpi::write_acpi_tables(mem, *info.acpi));
        bool named =
            pvh ? mem.write_obj(
                      GuestAddress(k_start_info_addr + offsetof(HvmStartInfo, rsdp_paddr)), rsdp)
                : mem.write_obj(
                      GuestAddress(k_zero_page_addr + offsetof(BootParams, acpi_rsdp_addr)), rsdp);
        if (!named)
            return fail(ExitCode::Internal, "cannot record the RSDP address");
    }
    return boot_cpu_state(info.kernel);
}

} // namespace hyper::x86
