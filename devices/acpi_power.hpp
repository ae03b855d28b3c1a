#pragma once
// The three registers through which a hardware-reduced ACPI guest powers off and resets
// the machine (arch/x86_64/acpi/tables.hpp puts them in the FADT): offset 0 the sleep
// control register (SLP_EN with SLP_TYP 5 is S5, power off), offset 1 the sleep status
// register (reads 0: never woken), offset 2 the reset register (the reset value resets).
#include <cstdint>
#include <functional>

#include "devices/bus.hpp"

namespace hyper::devices {

class AcpiPower final : public BusDevice {
  public:
    static constexpr uint64_t k_size = 3;
    static constexpr uint64_t k_sleep_control = 0, k_sleep_status = 1, k_reset = 2;
    static constexpr uint8_t k_sleep_enable = 0x20, k_sleep_type_mask = 0x1c;
    static constexpr uint8_t k_sleep_type_shift = 2, k_s5 = 5, k_reset_value = 1;

    AcpiPower(std::function<void()> on_power_off, std::function<void()> on_reset)
        : m_on_power_off(std::move(on_power_off)), m_on_reset(std::move(on_reset)) {}

    const char* name() const override { return "acpi-power"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

  private:
    std::function<void()> m_on_power_off;
    std::function<void()> m_on_reset;
};

} // namespace hyper::devices
