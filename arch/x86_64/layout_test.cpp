#include "arch/x86_64/layout.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <iterator>

using namespace hyper::x86;
using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

TEST_CASE("ram_ranges puts RAM above 3 GiB beyond the MMIO hole") {
    CHECK(ram_ranges(256 * k_mib) == Ranges{{0, 256 * k_mib}});
    CHECK(ram_ranges(3 * k_gib) == Ranges{{0, 3 * k_gib}});
    CHECK(ram_ranges(3 * k_gib + k_mib) == Ranges{{0, 3 * k_gib}, {4 * k_gib, k_mib}});
    CHECK(ram_ranges(8 * k_gib) == Ranges{{0, 3 * k_gib}, {4 * k_gib, 5 * k_gib}});
    CHECK(ram_ranges(0).empty());
}

TEST_CASE("e820_map: low RAM, the BIOS hole, RAM to 3 GiB and from 4 GiB") {
    auto small = e820_map(256 * k_mib);
    REQUIRE(small.size() == 3);
    CHECK(small[0] == E820Entry{0, 0x9fc00, E820Type::Ram});
    CHECK(small[1] == E820Entry{0x9fc00, 0x100000 - 0x9fc00, E820Type::Reserved});
    CHECK(small[2] == E820Entry{0x100000, 256 * k_mib - 0x100000, E820Type::Ram});

    auto big = e820_map(6 * k_gib);
    REQUIRE(big.size() == 4);
    CHECK(big[2] == E820Entry{0x100000, 3 * k_gib - 0x100000, E820Type::Ram});
    CHECK(big[3] == E820Entry{4 * k_gib, 3 * k_gib, E820Type::Ram});

    // usable RAM in the map adds up to the RAM minus what the BIOS hole takes
    for (uint64_t ram : {2 * k_mib, 64 * k_mib, 3 * k_gib, 3 * k_gib + 4096, 16 * k_gib}) {
        uint64_t usable = 0;
        for (const auto& e : e820_map(ram))
            if (e.type == E820Type::Ram)
                usable += e.size;
        CHECK(usable == ram - (0x100000 - 0x9fc00));
    }
    // never any RAM inside the MMIO hole
    for (const auto& e : e820_map(64 * k_gib))
        CHECK((e.addr + e.size <= k_mmio_hole_start || e.addr >= k_mmio_hole_end));
}

TEST_CASE("layout: fixed structures do not overlap and sit where Linux looks") {
    struct Area {
        uint64_t start, end;
    };
    Area areas[] = {
        {k_gdt_addr, k_gdt_addr + 7 * 8},
        {k_idt_addr, k_idt_addr + 8},
        {k_tss_addr, k_tss_addr + k_tss_size},
        {k_start_info_addr, k_start_info_end},
        {k_zero_page_addr, k_zero_page_addr + 0x1000},
        {k_pml4_addr, k_pml4_addr + 0x1000},
        {k_pdpt_addr, k_pdpt_addr + 0x1000},
        {k_pd_addr, k_pd_addr + k_pd_count * 0x1000},
        {k_cmdline_addr, k_cmdline_addr + k_cmdline_max},
        {k_mp_table_addr, k_mp_table_addr + k_mp_table_max_size},
    };
    for (size_t i = 0; i < std::size(areas); ++i)
        for (size_t j = i + 1; j < std::size(areas); ++j)
            CHECK((areas[i].end <= areas[j].start || areas[j].end <= areas[i].start));
    CHECK(k_boot_stack_top > k_zero_page_addr + 0x1000);
    CHECK(k_boot_stack_top <= k_pml4_addr);
    CHECK(k_cmdline_addr + k_cmdline_max <= k_ebda_start);
    CHECK(k_mp_table_addr >= 0xf0000);
    CHECK(k_mp_table_addr + k_mp_table_max_size <= 0x100000);
    CHECK(virtio_mmio_addr(0) == 0xd0000000);
    CHECK(virtio_mmio_addr(3) == 0xd0003000);
    CHECK(k_identity_map_size == 4 * k_gib);
}
