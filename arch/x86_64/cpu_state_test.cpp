#include "arch/x86_64/cpu_state.hpp"

#include <doctest/doctest.h>

#include "arch/x86_64/gdt.hpp"
#include "arch/x86_64/page_tables.hpp"

using namespace hyper;
using namespace hyper::x86;

namespace {

GuestMemory ram(uint64_t size = 16 << 20) {
    auto ranges = ram_ranges(size);
    return std::move(GuestMemory::create(ranges).value());
}

bool same(const Segment& a, const Segment& b) {
    return a.base == b.base && a.limit == b.limit && a.type == b.type && a.present == b.present &&
           a.dpl == b.dpl && a.db == b.db && a.s == b.s && a.l == b.l && a.g == b.g;
}

// Walks the 4-level tables in guest memory like the MMU would (2 MiB leaves only).
std::optional<uint64_t> translate(const GuestMemory& mem, uint64_t cr3, uint64_t va) {
    uint64_t table = cr3;
    for (int level = 3; level >= 1; --level) {
        uint64_t index = (va >> (12 + 9 * level)) & 0x1ff;
        auto e = mem.read_obj<uint64_t>(GuestAddress(table + index * 8));
        if (!e || !(*e & k_pte_present) || !(*e & k_pte_writable))
            return std::nullopt;
        uint64_t next = *e & 0x000ffffffffff000;
        if (level == 1) {
            if (!(*e & k_pte_large_page))
                return std::nullopt;
            return (next & ~0x1fffffull) + (va & 0x1fffff);
        }
        if (*e & k_pte_large_page)
            return std::nullopt; // no 1 GiB pages expected
        table = next;
    }
    return std::nullopt;
}

} // namespace

TEST_CASE("descriptors encode and decode to the same segment") {
    for (const auto& s : {code64_segment(), code32_segment(), data_segment(), tss_segment()})
        CHECK(same(decode_descriptor(encode_descriptor(s)), s));
    // the classic flat descriptors
    CHECK(encode_descriptor(code64_segment()) == 0x00af9b000000ffffull);
    CHECK(encode_descriptor(data_segment()) == 0x00cf93000000ffffull);
    CHECK(encode_descriptor(code32_segment()) == 0x00cf9b000000ffffull);
}

TEST_CASE("the GDT in guest memory holds the segments the boot state uses") {
    auto mem = ram();
    REQUIRE(write_gdt(mem));
    auto gdt = mem.read_obj<std::array<uint64_t, k_gdt_entries>>(GuestAddress(k_gdt_addr)).value();
    CHECK(gdt[0] == 0);
    CHECK(gdt[1] == 0);
    for (const auto& state : {long_mode_cpu_state(0x1000000), pvh_cpu_state(0x1000040)}) {
        CHECK(state.gdt.base == k_gdt_addr);
        CHECK(state.gdt.limit == k_gdt_entries * 8 - 1);
        for (const Segment* s : {&state.cs, &state.ds, &state.es, &state.ss, &state.tr}) {
            INFO("selector " << s->selector);
            REQUIRE(s->selector / 8 < k_gdt_entries);
            CHECK(same(decode_descriptor(gdt[s->selector / 8]), *s));
        }
    }
    auto tr = decode_descriptor(gdt[k_tss_selector / 8]);
    CHECK(tr.base == k_tss_addr);
    CHECK(tr.limit == 0x67);
    CHECK(tr.s == 0);
    CHECK(tr.type == 0xb);
    CHECK(gdt[k_tss_selector / 8 + 1] == 0);
    CHECK(mem.read_obj<uint16_t>(GuestAddress(k_tss_addr + 0x66)) == k_tss_size);
    CHECK(mem.read_obj<uint64_t>(GuestAddress(k_idt_addr)) == 0u);
}

TEST_CASE("page tables identity-map the first 4 GiB with 2 MiB pages") {
    auto mem = ram();
    REQUIRE(write_page_tables(mem));
    for (uint64_t va : {0ull, 0x1234ull, 0x100200ull, 0x1fffffull, 0x200000ull, 0x7654321ull,
                        0xbfffffffull, 0xfec00000ull, 0xfee00000ull, 0xffffffffull})
        CHECK(translate(mem, k_pml4_addr, va) == va);
    CHECK_FALSE(translate(mem, k_pml4_addr, 0x100000000ull)); // not mapped
    CHECK_FALSE(translate(mem, k_pml4_addr, 0x8000000000ull));
}

TEST_CASE("long-mode entry: paging on, long-mode CS, RSI = zero page") {
    auto s = long_mode_cpu_state(0x100200);
    CHECK(s.rip == 0x100200);
    CHECK(s.rsi == k_zero_page_addr);
    CHECK(s.rflags == 2);
    CHECK(s.cr0 == (k_cr0_pe | k_cr0_et | k_cr0_pg));
    CHECK(s.cr3 == k_pml4_addr);
    CHECK(s.cr4 == k_cr4_pae);
    CHECK(s.efer == (k_efer_lme | k_efer_lma));
    CHECK(s.cs.selector == 0x10);
    CHECK(s.cs.l == 1);
    CHECK(s.cs.db == 0);
    for (const Segment* d : {&s.ds, &s.es, &s.ss, &s.fs, &s.gs})
        CHECK(d->selector == 0x18);
    CHECK(s.tr.present == 1);
    CHECK(s.ldt.present == 0);
    CHECK(s.rsp == k_boot_stack_top);
}

TEST_CASE("PVH entry: 32-bit protected mode, paging off, EBX = start_info") {
    auto s = pvh_cpu_state(0x1000040);
    CHECK(s.rip == 0x1000040);
    CHECK(s.rbx == k_start_info_addr);
    CHECK(s.rflags == 2);
    CHECK((s.cr0 & k_cr0_pe) != 0);
    CHECK((s.cr0 & k_cr0_pg) == 0);
    CHECK(s.cr4 == 0);
    CHECK(s.efer == 0);
    CHECK(s.cs.selector == k_code32_selector);
    CHECK(s.cs.db == 1);
    CHECK(s.cs.l == 0);
    CHECK(s.cs.limit == 0xffffffff);
    CHECK(s.ss.db == 1);
    CHECK(s.tr.type == 0xb); // busy 32-bit TSS
    CHECK(s.tr.s == 0);

    boot::LoadedKernel k;
    k.entry_mode = boot::EntryMode::Pvh32;
    k.entry = 0x1000040;
    CHECK(boot_cpu_state(k).rbx == k_start_info_addr);
    k.entry_mode = boot::EntryMode::Long64;
    CHECK(boot_cpu_state(k).efer == (k_efer_lme | k_efer_lma));
}
