#include "arch/x86_64/layout.hpp"

#include <algorithm>

namespace hyper::x86 {

static_assert(k_pd_addr + k_pd_count * 0x1000 <= k_cmdline_addr);
static_assert(k_tss_addr + k_tss_size <= 0x600);
static_assert(k_virtio_mmio_end <= k_ioapic_addr && k_virtio_mmio_base >= k_mmio_hole_start);

std::vector<std::pair<uint64_t, uint64_t>> ram_ranges(uint64_t ram_bytes) {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    uint64_t low = std::min(ram_bytes, k_mmio_hole_start);
    if (low > 0)
        ranges.emplace_back(0, low);
    if (ram_bytes > low)
        ranges.emplace_back(k_high_ram_start, ram_bytes - low);
    return ranges;
}

std::vector<E820Entry> e820_map(uint64_t ram_bytes) {
    std::vector<E820Entry> map;
    uint64_t low = std::min(ram_bytes, k_mmio_hole_start);
    if (low > 0)
        map.push_back({0, std::min(low, k_ebda_start), E820Type::Ram});
    map.push_back({k_ebda_start, k_bios_end - k_ebda_start, E820Type::Reserved});
    if (low > k_bios_end)
        map.push_back({k_bios_end, low - k_bios_end, E820Type::Ram});
    if (ram_bytes > low)
        map.push_back({k_high_ram_start, ram_bytes - low, E820Type::Ram});
    return map;
}

} // namespace hyper::x86
