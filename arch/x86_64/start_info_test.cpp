#include "arch/x86_64/start_info.hpp"

#include <doctest/doctest.h>

using namespace hyper;
using namespace hyper::x86;

namespace {
GuestMemory ram(uint64_t size = 64 << 20) {
    auto ranges = ram_ranges(size);
    return std::move(GuestMemory::create(ranges).value());
}
} // namespace

TEST_CASE("PVH start_info: magic, version 1, cmdline, the initrd as module 0, the memmap") {
    auto mem = ram();
    auto e820 = e820_map(64 << 20);
    REQUIRE(
        write_start_info(mem, {k_cmdline_addr, 5}, boot::InitrdPlacement{0x3000000, 0x4321}, e820));
    auto info = mem.read_obj<HvmStartInfo>(GuestAddress(k_start_info_addr)).value();
    CHECK(info.magic == 0x336ec578);
    CHECK(info.version == 1);
    CHECK(info.flags == 0);
    CHECK(info.cmdline_paddr == k_cmdline_addr);
    CHECK(info.rsdp_paddr == 0);
    CHECK(info.reserved == 0);
    REQUIRE(info.nr_modules == 1);
    auto mod = mem.read_obj<HvmModlistEntry>(GuestAddress(info.modlist_paddr)).value();
    CHECK(mod.paddr == 0x3000000);
    CHECK(mod.size == 0x4321);
    CHECK(mod.cmdline_paddr == 0);
    REQUIRE(info.memmap_entries == e820.size());
    for (size_t i = 0; i < e820.size(); ++i) {
        auto m = mem.read_obj<HvmMemmapEntry>(
                        GuestAddress(info.memmap_paddr + i * sizeof(HvmMemmapEntry)))
                     .value();
        CHECK(m.addr == e820[i].addr);
        CHECK(m.size == e820[i].size);
        CHECK(m.type == static_cast<uint32_t>(e820[i].type)); // 1 RAM, 2 reserved
        CHECK(m.reserved == 0);
    }
}

TEST_CASE("PVH start_info without an initrd, and its limits") {
    auto mem = ram();
    REQUIRE(write_start_info(mem, {k_cmdline_addr, 0}, std::nullopt, e820_map(64 << 20)));
    auto info = mem.read_obj<HvmStartInfo>(GuestAddress(k_start_info_addr)).value();
    CHECK(info.nr_modules == 0);
    CHECK(info.modlist_paddr == 0);

    std::vector<E820Entry> many(k_start_info_memmap_max + 1, E820Entry{0, 4096, E820Type::Ram});
    CHECK_FALSE(write_start_info(mem, {k_cmdline_addr, 0}, std::nullopt, many));
    CHECK_FALSE(
        write_start_info(mem, {k_cmdline_addr, 0}, boot::InitrdPlacement{0xfffff000, 0x2000}, {}));
    CHECK_FALSE(write_start_info(mem, {5ull << 32, 0}, std::nullopt, {}));
}
