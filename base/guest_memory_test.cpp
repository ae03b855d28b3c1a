#include "base/guest_memory.hpp"

#include <doctest/doctest.h>

using namespace hyper;

TEST_CASE("GuestMemory checks start and length of every access") {
    std::pair<uint64_t, uint64_t> ranges[] = {{0, 0x10000}, {0x100000, 0x1000}};
    auto mem = GuestMemory::create(ranges);
    REQUIRE(mem);
    CHECK(mem->total_size() == 0x11000);
    CHECK(mem->write_obj<uint32_t>(GuestAddress(0xfffc), 0xdeadbeef));
    CHECK(mem->read_obj<uint32_t>(GuestAddress(0xfffc)) == 0xdeadbeefu);
    // crosses the end of the first region
    CHECK_FALSE(mem->write_obj<uint32_t>(GuestAddress(0xfffe), 1));
    CHECK_FALSE(mem->read_obj<uint32_t>(GuestAddress(0xfffe)));
    // in the gap, at the end, and wrapping around 2^64
    CHECK_FALSE(mem->read_obj<uint8_t>(GuestAddress(0x20000)));
    CHECK_FALSE(mem->read_obj<uint8_t>(GuestAddress(0x101000)));
    CHECK_FALSE(mem->host_span(GuestAddress(0x100000), UINT64_MAX));
    CHECK_FALSE(mem->host_span(GuestAddress(UINT64_MAX), 2));
    CHECK(mem->host_span(GuestAddress(0x100000), 0x1000));
    CHECK(mem->contains(GuestAddress(0x100fff), 1));
    CHECK_FALSE(mem->contains(GuestAddress(0x100fff), 2));
}

TEST_CASE("GuestAddress checked_add detects overflow") {
    CHECK(GuestAddress(UINT64_MAX - 1).checked_add(1));
    CHECK_FALSE(GuestAddress(UINT64_MAX - 1).checked_add(2));
}

TEST_CASE("guest RAM starts on a 2 MiB boundary, whole and writable to its last byte") {
    for (uint64_t size : {uint64_t{0x1000}, uint64_t{3} << 20, (uint64_t{5} << 20) + 0x3000}) {
        std::pair<uint64_t, uint64_t> ranges[] = {{0, size}};
        auto mem = GuestMemory::create(ranges);
        REQUIRE(mem);
        auto span = mem->host_span(GuestAddress(0), size);
        REQUIRE(span);
        CHECK(reinterpret_cast<uintptr_t>(span->data()) % Mapping::k_huge_page == 0);
        CHECK(mem->write_obj<uint8_t>(GuestAddress(size - 1), 0x5a));
        CHECK(mem->read_obj<uint8_t>(GuestAddress(size - 1)) == 0x5a);
        CHECK_FALSE(mem->write_obj<uint8_t>(GuestAddress(size), 0x5a));
    }
}
