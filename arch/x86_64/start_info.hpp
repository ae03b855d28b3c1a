#pragma once
// The PVH boot ABI (Xen's arch/x86 hvm_start_info, version 1): the kernel is entered in
// 32-bit protected mode with EBX pointing at hvm_start_info, which names the command
// line, the modules (module 0 is the initrd) and the memory map.
#include <cstdint>
#include <optional>
#include <span>

#include "arch/x86_64/layout.hpp"
#include "base/guest_memory.hpp"
#include "base/result.hpp"
#include "boot/cmdline.hpp"
#include "boot/kernel.hpp"

namespace hyper::x86 {

inline constexpr uint32_t k_hvm_start_magic = 0x336ec578;

struct HvmStartInfo {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr; // version 1 and later
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct HvmModlistEntry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

// Types are the e820 ones (1 RAM, 2 reserved, ...).
struct HvmMemmapEntry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

// Linux copies the map into the zero page's 128-entry e820 table, and adds one entry.
inline constexpr size_t k_start_info_memmap_max = 127;

// Writes hvm_start_info at k_start_info_addr, the module list at k_start_info_modlist_addr (one
// entry, the initrd, when present) and the memory map at k_start_info_memmap_addr.
Result<void> write_start_info(const GuestMemory& mem, const boot::CmdlinePlacement& cmdline,
                              const std::optional<boot::InitrdPlacement>& initrd,
                              std::span<const E820Entry> e820);

} // namespace hyper::x86
