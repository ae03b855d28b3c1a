#pragma once
// The x86_64 guest physical memory layout, in one place.
//
//   0x000500  boot GDT (7 entries), IDT (0x540, empty), TSS (0x580, 104 bytes)
//   0x006000  PVH hvm_start_info, its module list (0x6040) and memory map (0x6080)
//   0x007000  zero page (boot_params)
//   0x008ff0  initial stack pointer (grows down, below the page tables)
//   0x009000  PML4, 0xa000 PDPT, 0xb000..0xefff four PDs: identity map of 0..4 GiB
//   0x020000  kernel command line (64 KiB)
//   0x09fc00  EBDA / VGA / BIOS: reserved up to 1 MiB
//   0x0f0000  MP floating pointer, then the MP configuration table
//   0x100000  kernel (bzImage protected-mode part; a vmlinux uses its own p_paddr)
//   3 GiB..4 GiB  32-bit MMIO hole: control page at 0xc0000000, virtio-mmio at 0xd0000000,
//                 IOAPIC, LAPIC
//   4 GiB..   RAM beyond the first 3 GiB
#include <cstdint>
#include <utility>
#include <vector>

namespace hyper::x86 {

inline constexpr uint64_t k_kib = 1024;
inline constexpr uint64_t k_mib = 1024 * k_kib;
inline constexpr uint64_t k_gib = 1024 * k_mib;

inline constexpr uint64_t k_gdt_addr = 0x500;
inline constexpr uint64_t k_idt_addr = 0x540;
inline constexpr uint64_t k_tss_addr = 0x580;
inline constexpr uint64_t k_tss_size = 0x68;

inline constexpr uint64_t k_start_info_addr = 0x6000;
inline constexpr uint64_t k_start_info_modlist_addr = 0x6040;
inline constexpr uint64_t k_start_info_memmap_addr = 0x6080;
inline constexpr uint64_t k_start_info_end = 0x7000;

inline constexpr uint64_t k_zero_page_addr = 0x7000;
inline constexpr uint64_t k_boot_stack_top = 0x8ff0;

inline constexpr uint64_t k_pml4_addr = 0x9000;
inline constexpr uint64_t k_pdpt_addr = 0xa000;
inline constexpr uint64_t k_pd_addr = 0xb000; // k_pd_count consecutive pages
inline constexpr uint64_t k_pd_count = 4;     // 4 x 1 GiB of 2 MiB pages
inline constexpr uint64_t k_identity_map_size = k_pd_count * k_gib;

inline constexpr uint64_t k_cmdline_addr = 0x20000;
inline constexpr uint64_t k_cmdline_max = 0x10000; // including the NUL

inline constexpr uint64_t k_ebda_start = 0x9fc00; // end of usable low memory
inline constexpr uint64_t k_bios_end = 0x100000;
inline constexpr uint64_t k_mp_table_addr = 0xf0000; // Linux scans 0xf0000..0xfffff
inline constexpr uint64_t k_mp_table_max_size = k_bios_end - k_mp_table_addr;

inline constexpr uint64_t k_kernel_load_addr = 0x100000;

inline constexpr uint64_t k_mmio_hole_start = 3 * k_gib;
inline constexpr uint64_t k_mmio_hole_end = 4 * k_gib;
inline constexpr uint64_t k_high_ram_start = k_mmio_hole_end;

// devices/control.hpp: the guest init's page (guest/init/init.c has the same address)
inline constexpr uint64_t k_control_page_addr = 0xc0000000;

inline constexpr uint64_t k_virtio_mmio_base = 0xd0000000;
inline constexpr uint64_t k_virtio_mmio_stride = 0x1000; // one 4 KiB window per device
inline constexpr uint64_t k_virtio_mmio_end = 0xe0000000;
inline constexpr uint64_t k_ioapic_addr = 0xfec00000;
inline constexpr uint64_t k_lapic_addr = 0xfee00000;

constexpr uint64_t virtio_mmio_addr(unsigned index) {
    return k_virtio_mmio_base + uint64_t{index} * k_virtio_mmio_stride;
}

// (base, size) of the guest RAM regions for `ram_bytes` of RAM: one from 0 up to at
// most 3 GiB, the rest from 4 GiB. Suitable for GuestMemory::create.
std::vector<std::pair<uint64_t, uint64_t>> ram_ranges(uint64_t ram_bytes);

enum class E820Type : uint32_t { Ram = 1, Reserved = 2 };

struct E820Entry {
    uint64_t addr;
    uint64_t size;
    E820Type type;
    bool operator==(const E820Entry&) const = default;
};

// The BIOS memory map for `ram_bytes` of RAM laid out by ram_ranges(): usable
// 0..0x9fc00, reserved 0x9fc00..1 MiB, usable 1 MiB..min(ram, 3 GiB), usable from
// 4 GiB for the rest.
std::vector<E820Entry> e820_map(uint64_t ram_bytes);

} // namespace hyper::x86
