#include "boot/kernel.hpp"

#include <algorithm>
#include <cstring>

#include "boot/bytes.hpp"

namespace hyper::boot {

namespace {
constexpr uint64_t k_page = 4096;
}

Result<LoadedKernel> load_kernel(const GuestMemory& mem, std::span<const uint8_t> file) {
    static constexpr uint8_t k_elf_magic[4] = {0x7f, 'E', 'L', 'F'};
    if (file.size() >= 4 && std::memcmp(file.data(), k_elf_magic, 4) == 0)
        return load_elf(mem, file);
    if (read_le<uint32_t>(file, 0x202) == 0x53726448u) // "HdrS"
        return load_bzimage(mem, file);
    return fail(ExitCode::BadImage, "not a kernel: neither an ELF vmlinux nor a bzImage "
                                    "(no \\x7fELF magic, no HdrS magic at 0x202)");
}

Result<InitrdPlacement> load_initrd(const GuestMemory& mem, const LoadedKernel& kernel,
                                    std::span<const uint8_t> initrd) {
    auto placed = TRY(place_initrd(mem, kernel, initrd.size()));
    if (!mem.write(GuestAddress(placed.addr), initrd))
        return fail(ExitCode::Internal, "writing the initrd to guest RAM failed");
    return placed;
}

Result<InitrdPlacement> place_initrd(const GuestMemory& mem, const LoadedKernel& kernel,
                                     uint64_t size) {
    if (size == 0)
        return fail(ExitCode::BadImage, "initrd is empty");
    const GuestRegion* region = nullptr;
    for (const auto& r : mem.regions())
        if (kernel.load_addr >= r.base.value() && kernel.load_addr - r.base.value() < r.size)
            region = &r;
    if (!region)
        return fail(ExitCode::Internal, "the kernel is not in guest RAM");
    // `top` is one past the highest byte the initrd may use.
    uint64_t top = region->base.value() + region->size;
    if (kernel.initrd_addr_max < top)
        top = kernel.initrd_addr_max + 1;
    if (kernel.load_end > UINT64_MAX - k_page)
        return fail(ExitCode::Internal, "kernel end " + hex(kernel.load_end) + " out of range");
    uint64_t bottom = (kernel.load_end + k_page - 1) & ~(k_page - 1);
    uint64_t addr = top >= size ? (top - size) & ~(k_page - 1) : 0;
    if (top < size || addr < bottom)
        return fail(ExitCode::Usage,
                    "initrd (" + std::to_string(size >> 10) +
                        " KiB) does not fit in guest RAM between the kernel (ends at " +
                        hex(bottom) + ") and " + hex(top) + "; give the VM more memory");
    return InitrdPlacement{addr, size};
}

} // namespace hyper::boot
