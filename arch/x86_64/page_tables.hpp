#pragma once
// Boot page tables for the 64-bit entry: an identity map of the first 4 GiB with
// 2 MiB pages (PML4 at k_pml4_addr, one PDPT, k_pd_count PDs). Linux replaces them early.
#include <cstdint>

#include "base/guest_memory.hpp"
#include "base/result.hpp"

namespace hyper::x86 {

inline constexpr uint64_t k_pte_present = 1 << 0;
inline constexpr uint64_t k_pte_writable = 1 << 1;
inline constexpr uint64_t k_pte_large_page = 1 << 7;

Result<void> write_page_tables(const GuestMemory& mem);

} // namespace hyper::x86
