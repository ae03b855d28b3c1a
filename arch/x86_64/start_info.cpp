#include "arch/x86_64/start_info.hpp"

#include <cstddef>
#include <string>

namespace hyper::x86 {

static_assert(sizeof(HvmStartInfo) == 56);
static_assert(offsetof(HvmStartInfo, memmap_paddr) == 40);
static_assert(sizeof(HvmModlistEntry) == 32);
static_assert(sizeof(HvmMemmapEntry) == 24);
static_assert(k_start_info_addr + sizeof(HvmStartInfo) <= k_start_info_modlist_addr);
static_assert(k_start_info_modlist_addr + sizeof(HvmModlistEntry) <= k_start_info_memmap_addr);
static_assert(k_start_info_memmap_addr + k_start_info_memmap_max * sizeof(HvmMemmapEntry) <=
              k_start_info_end);

Result<void> write_start_info(const GuestMemory& mem, const boot::CmdlinePlacement& cmdline,
                              const std::optional<boot::InitrdPlacement>& initrd,
                              std::span<const E820Entry> e820) {
    if (e820.size() > k_start_info_memmap_max)
        return fail(ExitCode::Internal, "PVH memory map has " + std::to_string(e820.size()) +
                                            " entries, more than " +
                                            std::to_string(k_start_info_memmap_max));
    // Linux reads the command line and initrd addresses into 32-bit zero-page fields.
    if (cmdline.addr > UINT32_MAX ||
        (initrd && (initrd->addr > 4 * k_gib || initrd->size > 4 * k_gib - initrd->addr)))
        return fail(ExitCode::Internal, "PVH needs the command line and initrd below 4 GiB");

    HvmStartInfo info{};
    info.magic = k_hvm_start_magic;
    info.version = 1;
    info.cmdline_paddr = cmdline.addr;
    if (initrd) {
        HvmModlistEntry module{initrd->addr, initrd->size, 0, 0};
        if (!mem.write_obj(GuestAddress(k_start_info_modlist_addr), module))
            return fail(ExitCode::Internal, "PVH module list is not in guest RAM");
        info.nr_modules = 1;
        info.modlist_paddr = k_start_info_modlist_addr;
    }
    for (size_t i = 0; i < e820.size(); ++i) {
        HvmMemmapEntry entry{e820[i].addr, e820[i].size, static_cast<uint32_t>(e820[i].type), 0};
        if (!mem.write_obj(GuestAddress(k_start_info_memmap_addr + i * sizeof(entry)), entry))
            return fail(ExitCode::Internal, "PVH memory map is not in guest RAM");
    }
    info.memmap_paddr = k_start_info_memmap_addr;
    info.memmap_entries = static_cast<uint32_t>(e820.size());
    if (!mem.write_obj(GuestAddress(k_start_info_addr), info))
        return fail(ExitCode::Internal, "PVH start_info is not in guest RAM");
    return {};
}

} // namespace hyper::x86
