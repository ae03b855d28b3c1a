#pragma once
// Fake guest RAM for the fuzz targets: two regions with a hole between them (so buffers
// can straddle a gap), 0..32 KiB and 48..64 KiB. fill() zeroes it and copies the input in
// from address 0 (the part past 32 KiB continues at 48 KiB), so each run starts from the
// input alone.
#include <algorithm>
#include <cstring>
#include <span>
#include <utility>

#include "base/guest_memory.hpp"

namespace hyper::fuzz {

inline constexpr uint64_t k_low_size = 0x8000;
inline constexpr uint64_t k_high_base = 0xc000;
inline constexpr uint64_t k_high_size = 0x4000;

inline const GuestMemory& fake_ram() {
    static const GuestMemory mem = [] {
        std::pair<uint64_t, uint64_t> ranges[] = {{0, k_low_size}, {k_high_base, k_high_size}};
        return GuestMemory::create(ranges).value();
    }();
    return mem;
}

inline const GuestMemory& fill_fake_ram(std::span<const uint8_t> input) {
    const GuestMemory& mem = fake_ram();
    std::memset(mem.host_base(), 0, mem.total_size());
    size_t low = std::min<size_t>(input.size(), k_low_size);
    (void)mem.write(GuestAddress(0), input.first(low));
    size_t high = std::min<size_t>(input.size() - low, k_high_size);
    (void)mem.write(GuestAddress(k_high_base), input.subspan(low, high));
    return mem;
}

} // namespace hyper::fuzz
