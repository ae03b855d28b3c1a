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
