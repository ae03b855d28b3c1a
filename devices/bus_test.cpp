#include "devices/bus.hpp"

#include <doctest/doctest.h>

using namespace hyper::devices;

namespace {
struct Recorder : BusDevice {
    const char* name() const override { return "recorder"; }
    void read(uint64_t offset, std::span<uint8_t> data) override {
        last_offset = offset;
        for (auto& b : data)
            b = 0xab;
    }
    void write(uint64_t offset, std::span<const uint8_t> data) override {
        last_offset = offset;
        last_size = data.size();
    }
    uint64_t last_offset{~0ull};
    size_t last_size{0};
};
} // namespace

TEST_CASE("Bus hands devices offsets and rejects bad ranges") {
    Bus bus;
    auto a = std::make_shared<Recorder>();
    auto b = std::make_shared<Recorder>();
    REQUIRE(bus.insert(0x1000, 0x100, a));
    REQUIRE(bus.insert(0x1100, 0x10, b));
    CHECK_FALSE(bus.insert(0x10ff, 2, b));         // overlaps a's end
    CHECK_FALSE(bus.insert(0x0f00, 0x101, b));     // overlaps a's start
    CHECK_FALSE(bus.insert(0x2000, 0, b));         // empty
    CHECK_FALSE(bus.insert(UINT64_MAX - 1, 4, b)); // wraps
    uint8_t buf[4] = {1, 2, 3, 4};
    CHECK(bus.write(0x1010, buf));
    CHECK(a->last_offset == 0x10);
    CHECK(a->last_size == 4);
    CHECK(bus.read(0x1104, std::span<uint8_t>(buf, 2)));
    CHECK(b->last_offset == 4);
    CHECK(buf[0] == 0xab);
    CHECK_FALSE(bus.read(0x10fe, buf)); // crosses from a into b
    CHECK_FALSE(bus.read(0x0fff, std::span<uint8_t>(buf, 1)));
    CHECK_FALSE(bus.read(0x1110, std::span<uint8_t>(buf, 1)));
}
