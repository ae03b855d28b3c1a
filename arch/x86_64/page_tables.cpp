#include "arch/x86_64/page_tables.hpp"

#include <array>

#include "arch/x86_64/layout.hpp"

namespace hyper::x86 {

Result<void> write_page_tables(const GuestMemory& mem) {
    constexpr uint64_t k_page = 0x1000;
    constexpr uint64_t k_table = k_pte_present | k_pte_writable;
    std::array<uint64_t, 512> table{};

    table[0] = k_pdpt_addr | k_table;
    bool ok = mem.write_obj(GuestAddress(k_pml4_addr), table);

    table.fill(0);
    for (uint64_t i = 0; i < k_pd_count; ++i)
        table[i] = (k_pd_addr + i * k_page) | k_table;
    ok = ok && mem.write_obj(GuestAddress(k_pdpt_addr), table);

    for (uint64_t pd = 0; pd < k_pd_count; ++pd) {
        for (uint64_t i = 0; i < 512; ++i)
            table[i] = (pd * k_gib + i * 2 * k_mib) | k_table | k_pte_large_page;
        ok = ok && mem.write_obj(GuestAddress(k_pd_addr + pd * k_page), table);
    }
    if (!ok)
        return fail(ExitCode::Internal, "the boot page tables are not in guest RAM");
    return {};
}

} // namespace hyper::x86
