#include "arch/aarch64/layout.hpp"

namespace hyper::arm64 {

std::vector<std::pair<uint64_t, uint64_t>> ram_ranges(uint64_t ram_bytes) {
    return {{k_ram_start, ram_bytes}};
}

uint64_t fdt_addr(uint64_t ram_bytes) {
    return (k_ram_start + ram_bytes - k_fdt_max_size) & ~(k_fdt_max_size - 1);
}

} // namespace hyper::arm64
