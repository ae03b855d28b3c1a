// x86 bzImage loading (Documentation/x86/boot.rst, 64-bit boot protocol). The real-mode
// setup code is never run: only the setup header is kept (for boot_params), and the
// protected-mode kernel is copied to 1 MiB and entered at its 64-bit entry (+0x200).
#include <algorithm>
#include <bit>

#include "boot/bytes.hpp"
#include "boot/kernel.hpp"

namespace hyper::boot {

namespace {

// Setup header offsets in the file (and in boot_params).
constexpr uint64_t k_setup_sects = 0x1f1;
constexpr uint64_t k_syssize = 0x1f4;
constexpr uint64_t k_boot_flag = 0x1fe;
constexpr uint64_t k_jump = 0x200;
constexpr uint64_t k_header_magic = 0x202;
constexpr uint64_t k_version = 0x206;
constexpr uint64_t k_loadflags = 0x211;
constexpr uint64_t k_initrd_addr_max = 0x22c;
constexpr uint64_t k_kernel_alignment = 0x230;
constexpr uint64_t k_xloadflags = 0x236;
constexpr uint64_t k_cmdline_size = 0x238;
constexpr uint64_t k_pref_address = 0x258;
constexpr uint64_t k_init_size = 0x260;
constexpr uint64_t k_fields_end = 0x264;   // end of the last field read here (init_size)
constexpr uint64_t k_header_limit = 0x290; // boot_params has room for the header up to here

constexpr uint16_t k_boot_flag_value = 0xaa55;
constexpr uint32_t k_hdrs = 0x53726448;    // "HdrS"
constexpr uint16_t k_min_version = 0x020c; // 2.12: xloadflags, so XLF_KERNEL_64
constexpr uint8_t k_loaded_high = 1 << 0;
constexpr uint16_t k_xlf_kernel64 = 1 << 0;
constexpr uint64_t k_load_addr = 0x100000; // protected-mode kernel at 1 MiB
constexpr uint64_t k_entry64_offset = 0x200;

std::string version_string(uint16_t version) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%u.%02u", version >> 8u, version & 0xffu);
    return buf;
}

Unexpected bad(const std::string& what) {
    return fail(ExitCode::BadImage, what);
}

} // namespace

Result<LoadedKernel> load_bzimage(const GuestMemory& mem, std::span<const uint8_t> file) {
    if (file.size() < k_fields_end)
        return bad("not a bzImage: file is " + std::to_string(file.size()) +
                   " bytes, too short for a setup header");
    if (get_le<uint16_t>(file, k_boot_flag) != k_boot_flag_value)
        return bad("not a bzImage: missing boot flag 0xAA55");
    if (get_le<uint32_t>(file, k_header_magic) != k_hdrs)
        return bad("not a bzImage: missing HdrS magic");

    uint16_t version = get_le<uint16_t>(file, k_version);
    if (version < k_min_version)
        return bad("bzImage boot protocol " + version_string(version) +
                   " is too old (need 2.12 or later)");
    if (!(get_le<uint16_t>(file, k_xloadflags) & k_xlf_kernel64))
        return bad("bzImage has no 64-bit entry point (XLF_KERNEL_64 not set)");
    if (!(get_le<uint8_t>(file, k_loadflags) & k_loaded_high))
        return bad("bzImage is not loaded high (LOADED_HIGH not set): zImage is not supported");

    // The header ends at 0x202 + the jump offset at 0x201 (a short jmp over it).
    uint64_t header_end = 0x202 + get_le<uint8_t>(file, k_jump + 1);
    if (header_end < k_fields_end || header_end > k_header_limit)
        return bad("bzImage setup header ends at " + hex(header_end) + ", expected " +
                   hex(k_fields_end) + ".." + hex(k_header_limit) + " for protocol " +
                   version_string(version));

    uint64_t setup_sects = get_le<uint8_t>(file, k_setup_sects);
    if (setup_sects == 0)
        setup_sects = 4;
    uint64_t setup_size = (setup_sects + 1) * 512;
    if (setup_size >= file.size())
        return bad("bzImage truncated: setup_sects " + std::to_string(setup_sects) +
                   " puts the kernel at " + hex(setup_size) + ", past the end of the " +
                   std::to_string(file.size()) + "-byte file");
    if (header_end > setup_size)
        return bad("bzImage setup header runs past the setup code");
    auto kernel = file.subspan(setup_size);
    uint64_t syssize_bytes = uint64_t{get_le<uint32_t>(file, k_syssize)} * 16;
    if (syssize_bytes > kernel.size())
        return bad("bzImage truncated: syssize says " + std::to_string(syssize_bytes) +
                   " bytes of kernel, the file has " + std::to_string(kernel.size()));

    uint32_t alignment = get_le<uint32_t>(file, k_kernel_alignment);
    if (!std::has_single_bit(alignment))
        return bad("bzImage kernel_alignment " + hex(alignment) + " is not a power of two");

    // The decompressor runs at max(load address, pref_address) and needs init_size bytes
    // there (2.10+); the initrd must stay clear of all of it.
    uint64_t runtime_start = std::max(k_load_addr, get_le<uint64_t>(file, k_pref_address));
    uint64_t init_size = get_le<uint32_t>(file, k_init_size);
    if (runtime_start > UINT64_MAX - init_size)
        return bad("bzImage pref_address " + hex(runtime_start) + " is out of range");

    if (init_size > 0 && !mem.contains(GuestAddress(runtime_start), init_size))
        return fail(ExitCode::Usage, "kernel decompresses into " + hex(runtime_start) + ".." +
                                         hex(runtime_start + init_size) +
                                         ", which does not fit in guest RAM");
    if (!mem.contains(GuestAddress(k_load_addr), kernel.size()))
        return fail(ExitCode::Usage, "kernel (" + std::to_string(kernel.size() >> 10) +
                                         " KiB at 1 MiB) does not fit in guest RAM");
    if (!mem.write(GuestAddress(k_load_addr), kernel))
        return fail(ExitCode::Internal, "writing the kernel to guest RAM failed");

    LoadedKernel k;
    k.format = KernelFormat::BzImage;
    k.entry_mode = EntryMode::Long64;
    k.entry = k_load_addr + k_entry64_offset;
    k.load_addr = k_load_addr;
    k.load_end = std::max(k_load_addr + kernel.size(), runtime_start + init_size);
    k.protocol_version = version;
    k.setup_header.assign(file.begin() + k_setup_sects, file.begin() + header_end);
    // Protocol 2.03+ has initrd_addr_max (older: 0x37ffffff), 2.06+ has cmdline_size
    // (older: 255). Both are present from 2.12 on; the defaults are kept for clarity.
    k.initrd_addr_max = version >= 0x0203 ? get_le<uint32_t>(file, k_initrd_addr_max) : 0x37ffffff;
    k.cmdline_size = version >= 0x0206 ? get_le<uint32_t>(file, k_cmdline_size) : 255;
    return k;
}

} // namespace hyper::boot
