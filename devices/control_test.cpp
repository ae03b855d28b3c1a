#include "devices/control.hpp"

#include <doctest/doctest.h>
#include <optional>
#include <vector>

using namespace hyper::devices;

namespace {
std::vector<uint8_t> le32(uint32_t v) {
    return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
}
uint32_t read32(ControlPage& page, uint64_t offset) {
    uint8_t b[4];
    page.read(offset, b);
    return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}
} // namespace

TEST_CASE("control page: magic, boot mark, exit status, power off, signals") {
    std::vector<uint8_t> marks;
    std::optional<uint8_t> status;
    int power_offs = 0;
    ControlPage page({[&](uint8_t m) { marks.push_back(m); }, [&](uint8_t s) { status = s; },
                      [&] { power_offs++; }});
    CHECK(read32(page, ControlPage::k_magic) == ControlPage::k_magic_value);
    uint8_t mark = ControlPage::k_boot_mark_init;
    page.write(ControlPage::k_boot_mark, std::span(&mark, 1));
    CHECK(marks == std::vector<uint8_t>{123});

    page.write(ControlPage::k_exit_status, le32(42));
    CHECK(status == 42);
    // out of range or the wrong width: ignored
    page.write(ControlPage::k_exit_status, le32(256));
    page.write(ControlPage::k_exit_status, std::span(&mark, 1));
    CHECK(status == 42);
    page.write(ControlPage::k_power_off, le32(1));
    CHECK(power_offs == 1);

    CHECK(read32(page, ControlPage::k_signal) == 0);
    page.post_signal(2);
    CHECK(read32(page, ControlPage::k_signal) == 2);
    CHECK(read32(page, ControlPage::k_signal) == 0); // reading cleared it
    CHECK(read32(page, 0x800) == 0);
    page.write(0x800, le32(7)); // nothing happens
    CHECK(power_offs == 1);
}
