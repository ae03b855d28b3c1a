#pragma once
// The Linux x86 "zero page" (struct boot_params, Documentation/x86/zero-page.rst and
// boot.rst), for the 64-bit boot protocol: only the fields a loader sets are named, the
// rest is padding. Offsets are checked by static_asserts in boot_params.cpp.
#include <cstdint>
#include <optional>
#include <span>

#include "arch/x86_64/layout.hpp"
#include "base/guest_memory.hpp"
#include "base/result.hpp"
#include "boot/cmdline.hpp"
#include "boot/kernel.hpp"

namespace hyper::x86 {

// The setup header, at 0x1f1 in both the bzImage and boot_params.
struct [[gnu::packed]] SetupHeader {
    uint8_t setup_sects;            // 0x1f1
    uint16_t root_flags;            // 0x1f2
    uint32_t syssize;               // 0x1f4
    uint16_t ram_size;              // 0x1f8
    uint16_t vid_mode;              // 0x1fa
    uint16_t root_dev;              // 0x1fc
    uint16_t boot_flag;             // 0x1fe
    uint16_t jump;                  // 0x200
    uint32_t header;                // 0x202
    uint16_t version;               // 0x206
    uint32_t realmode_swtch;        // 0x208
    uint16_t start_sys_seg;         // 0x20c
    uint16_t kernel_version;        // 0x20e
    uint8_t type_of_loader;         // 0x210
    uint8_t loadflags;              // 0x211
    uint16_t setup_move_size;       // 0x212
    uint32_t code32_start;          // 0x214
    uint32_t ramdisk_image;         // 0x218
    uint32_t ramdisk_size;          // 0x21c
    uint32_t bootsect_kludge;       // 0x220
    uint16_t heap_end_ptr;          // 0x224
    uint8_t ext_loader_ver;         // 0x226
    uint8_t ext_loader_type;        // 0x227
    uint32_t cmd_line_ptr;          // 0x228
    uint32_t initrd_addr_max;       // 0x22c
    uint32_t kernel_alignment;      // 0x230
    uint8_t relocatable_kernel;     // 0x234
    uint8_t min_alignment;          // 0x235
    uint16_t xloadflags;            // 0x236
    uint32_t cmdline_size;          // 0x238
    uint32_t hardware_subarch;      // 0x23c
    uint64_t hardware_subarch_data; // 0x240
    uint32_t payload_offset;        // 0x248
    uint32_t payload_length;        // 0x24c
    uint64_t setup_data;            // 0x250
    uint64_t pref_address;          // 0x258
    uint32_t init_size;             // 0x260
    uint32_t handover_offset;       // 0x264
    uint32_t kernel_info_offset;    // 0x268
};

struct [[gnu::packed]] BootE820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
};

inline constexpr size_t k_zero_page_e820_max = 128;

struct [[gnu::packed]] BootParams {
    uint8_t pad0[0x70];
    uint64_t acpi_rsdp_addr; // 0x070
    uint8_t pad1[0xc0 - 0x78];
    uint32_t ext_ramdisk_image; // 0x0c0
    uint32_t ext_ramdisk_size;  // 0x0c4
    uint32_t ext_cmd_line_ptr;  // 0x0c8
    uint8_t pad2[0x1e8 - 0xcc];
    uint8_t e820_entries; // 0x1e8
    uint8_t pad3[0x1f1 - 0x1e9];
    SetupHeader hdr; // 0x1f1
    uint8_t pad4[0x2d0 - 0x1f1 - sizeof(SetupHeader)];
    BootE820Entry e820_table[k_zero_page_e820_max]; // 0x2d0
    uint8_t pad5[0x1000 - 0xcd0];
};

inline constexpr uint8_t k_type_of_loader_undefined = 0xff;
inline constexpr uint16_t k_boot_flag = 0xaa55;
inline constexpr uint32_t k_hdrs_magic = 0x53726448; // "HdrS"

// Builds boot_params for `kernel`: a bzImage's own setup header, or for an ELF kernel
// a minimal one (boot flag, HdrS, version 2.15, kernel_alignment); then the loader
// type, the command line, the initrd and the e820 map. Pure: no guest memory.
Result<BootParams> make_boot_params(const boot::LoadedKernel& kernel,
                                    const boot::CmdlinePlacement& cmdline,
                                    const std::optional<boot::InitrdPlacement>& initrd,
                                    std::span<const E820Entry> e820);

// make_boot_params, written to the zero page at k_zero_page_addr.
Result<void> write_boot_params(const GuestMemory& mem, const boot::LoadedKernel& kernel,
                               const boot::CmdlinePlacement& cmdline,
                               const std::optional<boot::InitrdPlacement>& initrd,
                               std::span<const E820Entry> e820);

} // namespace hyper::x86
