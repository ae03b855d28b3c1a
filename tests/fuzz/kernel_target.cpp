// Target "kernel": the bzImage and ELF/PVH loaders (boot/kernel.hpp load_kernel) on the
// input as the kernel file, into 32 MiB of fake guest RAM; then initrd placement.
#include <utility>

#include "boot/kernel.hpp"
#include "tests/fuzz/targets.hpp"

namespace hyper::fuzz {

int kernel(const uint8_t* data, size_t size) {
    static const GuestMemory mem = [] {
        std::pair<uint64_t, uint64_t> ranges[] = {{0, 32ull << 20}};
        return GuestMemory::create(ranges).value();
    }();
    auto k = boot::load_kernel(mem, std::span(data, size));
    if (!k)
        return 0;
    check(k->load_addr <= k->load_end, "kernel: load_end below load_addr");
    check(mem.contains(GuestAddress(k->entry), 1), "kernel: entry outside guest RAM");
    auto initrd = boot::place_initrd(mem, *k, 4096);
    if (initrd) {
        check(initrd->addr >= k->load_end, "kernel: initrd overlaps the kernel");
        check(mem.contains(GuestAddress(initrd->addr), initrd->size), "kernel: initrd outside RAM");
    }
    return 0;
}

} // namespace hyper::fuzz
