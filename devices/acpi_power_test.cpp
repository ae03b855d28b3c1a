#include "devices/acpi_power.hpp"

#include <doctest/doctest.h>

using namespace hyper::devices;

TEST_CASE("AcpiPower: S5 powers off, the reset value resets, the rest is ignored") {
    int off = 0, reset = 0;
    AcpiPower p([&] { off++; }, [&] { reset++; });
    auto wr = [&](uint64_t at, uint8_t v) { p.write(at, std::span<const uint8_t>(&v, 1)); };
    wr(AcpiPower::k_sleep_status, 0x80);    // Linux clears WAK_STS first
    wr(AcpiPower::k_sleep_control, 5 << 2); // SLP_TYP without SLP_EN
    CHECK(off == 0);
    wr(AcpiPower::k_sleep_control, 3 << 2 | 0x20); // S3: not offered
    CHECK(off == 0);
    wr(AcpiPower::k_sleep_control, 5 << 2 | 0x20); // what Linux writes for S5
    CHECK(off == 1);
    wr(AcpiPower::k_reset, 2);
    CHECK(reset == 0);
    wr(AcpiPower::k_reset, 1);
    CHECK(reset == 1);
    uint16_t wide = 0x34;
    p.write(AcpiPower::k_sleep_control,
            std::span<const uint8_t>(reinterpret_cast<uint8_t*>(&wide), 2));
    CHECK(off == 1);
    uint8_t status = 0xff;
    p.read(AcpiPower::k_sleep_status, std::span(&status, 1));
    CHECK(status == 0);
}
