// arm64 Image loading (Documentation/arm64/booting.rst). The 64-byte header:
//   0x00 code0, code1 (branch to the kernel)   0x08 text_offset   0x10 image_size
//   0x18 flags   0x20-0x37 reserved   0x38 magic "ARM\x64"   0x3c reserved (PE offset)
// The Image goes text_offset bytes above a 2 MiB-aligned base and needs image_size bytes
// there (its bss included); the first byte is the entry.
#include "boot/bytes.hpp"
#include "boot/kernel.hpp"

namespace hyper::boot {

namespace {

constexpr uint64_t k_text_offset = 0x08;
constexpr uint64_t k_image_size = 0x10;
constexpr uint64_t k_flags = 0x18;
constexpr uint64_t k_magic = 0x38;
constexpr uint64_t k_header_size = 0x40;
constexpr uint32_t k_magic_value = 0x644d5241; // "ARM\x64"
constexpr uint64_t k_flag_big_endian = 1u << 0;
constexpr uint64_t k_base_alignment = 2ull << 20;

Unexpected bad(const std::string& what) {
    return fail(ExitCode::BadImage, what);
}

} // namespace

Result<LoadedKernel> load_arm64_image(const GuestMemory& mem, std::span<const uint8_t> file,
                                      uint64_t ram_base) {
    if (file.size() < k_header_size)
        return bad("not an arm64 Image: file is " + std::to_string(file.size()) +
                   " bytes, too short for its header");
    if (get_le<uint32_t>(file, k_magic) != k_magic_value)
        return bad("not a kernel: no arm64 Image magic \"ARM\\x64\" at 0x38");
    uint64_t text_offset = get_le<uint64_t>(file, k_text_offset);
    uint64_t image_size = get_le<uint64_t>(file, k_image_size);
    uint64_t flags = get_le<uint64_t>(file, k_flags);
    if (image_size == 0)
        return bad("arm64 Image with image_size 0 (a kernel older than 3.17) is not supported");
    if (flags & k_flag_big_endian)
        return bad("arm64 Image is big-endian; only little-endian kernels are supported");
    if (image_size < file.size())
        return bad("arm64 Image: image_size " + hex(image_size) + " is smaller than the file (" +
                   std::to_string(file.size()) + " bytes)");
    if (text_offset >= k_base_alignment)
        return bad("arm64 Image: text_offset " + hex(text_offset) + " is not below 2 MiB");
    if (ram_base % k_base_alignment != 0)
        return fail(ExitCode::Internal, "RAM base " + hex(ram_base) + " is not 2 MiB-aligned");
    uint64_t load = ram_base + text_offset;
    if (!mem.contains(GuestAddress(load), image_size))
        return fail(ExitCode::Usage, "the kernel needs " + std::to_string(image_size >> 20) +
                                         " MiB at " + hex(load) + "; give the VM more memory");
    if (!mem.write(GuestAddress(load), file))
        return fail(ExitCode::Internal, "writing the kernel to guest RAM failed");
    LoadedKernel k;
    k.format = KernelFormat::Arm64Image;
    k.entry = load;
    k.load_addr = load;
    k.load_end = load + image_size;
    k.initrd_addr_max = UINT64_MAX;
    k.cmdline_size = 2047; // COMMAND_LINE_SIZE on arm64
    return k;
}

} // namespace hyper::boot
