#pragma once
// Loading a guest kernel into guest RAM. The API a VM builder calls:
//
//   auto kernel = TRY(boot::load_kernel(mem, kernel_bytes));
//   auto initrd = TRY(boot::load_initrd(mem, kernel, initrd_bytes));
//
// load_kernel accepts an x86 bzImage (64-bit boot protocol, 2.12+) or an uncompressed
// ELF64 vmlinux (with or without a PVH entry note). The file is untrusted: every field
// is checked before it is used, and a file that is not a usable kernel fails with
// ExitCode::BadImage and a one-line message naming the problem. A kernel or initrd that
// is fine but does not fit the guest's RAM fails with ExitCode::Usage (a bzImage needs
// init_size bytes at max(1 MiB, pref_address), usually 16 MiB, to decompress into).
#include <cstdint>
#include <span>
#include <vector>

#include "base/guest_memory.hpp"
#include "base/result.hpp"

namespace hyper::boot {

enum class KernelFormat { BzImage, Elf, Arm64Image };

enum class EntryMode {
    Long64, // 64-bit long mode, RSI = boot_params (Linux 64-bit boot protocol)
    Pvh32,  // 32-bit protected mode, paging off, EBX = hvm_start_info (PVH)
};

struct LoadedKernel {
    KernelFormat format{KernelFormat::Elf};
    EntryMode entry_mode{EntryMode::Long64};
    uint64_t entry{0};     // guest physical address of the first instruction
    uint64_t load_addr{0}; // lowest guest physical address written
    // One past the highest guest address the kernel may use before it reads the memory
    // map (bss, and for a bzImage its init_size). The initrd goes above this.
    uint64_t load_end{0};
    // bzImage only: the setup header bytes from file offset 0x1f1 up to its end
    // (0x202 + the byte at 0x201), copied verbatim into boot_params at 0x1f1.
    std::vector<uint8_t> setup_header;
    uint16_t protocol_version{0};         // bzImage boot protocol, e.g. 0x020f
    uint64_t initrd_addr_max{0xffffffff}; // highest address the initrd may occupy
    uint32_t cmdline_size{2047};          // longest command line, without its NUL
};

struct InitrdPlacement {
    uint64_t addr{0};
    uint64_t size{0};
};

// Validates `file` and copies it into guest RAM.
Result<LoadedKernel> load_kernel(const GuestMemory& mem, std::span<const uint8_t> file);

// The two formats, for callers (and tests) that know which one they have.
Result<LoadedKernel> load_bzimage(const GuestMemory& mem, std::span<const uint8_t> file);
Result<LoadedKernel> load_elf(const GuestMemory& mem, std::span<const uint8_t> file);
// An arm64 `Image` (Documentation/arm64/booting.rst): copied to the 2 MiB-aligned
// `ram_base` + text_offset, entered at its first byte (boot/arm64_image.cpp).
Result<LoadedKernel> load_arm64_image(const GuestMemory& mem, std::span<const uint8_t> file,
                                      uint64_t ram_base);

// Copies the initrd to the highest page-aligned address that keeps it inside the RAM
// region holding the kernel, at or below the kernel's initrd_addr_max, and above
// kernel.load_end.
Result<InitrdPlacement> load_initrd(const GuestMemory& mem, const LoadedKernel& kernel,
                                    std::span<const uint8_t> initrd);

// Where load_initrd would put `size` bytes, without writing them: for callers that fill
// the range themselves (several archives back to back, a file read straight into RAM).
Result<InitrdPlacement> place_initrd(const GuestMemory& mem, const LoadedKernel& kernel,
                                     uint64_t size);

} // namespace hyper::boot
