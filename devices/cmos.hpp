#pragma once
// The CMOS RTC at ports 0x70/0x71: the wall-clock time from the host, in BCD or binary
// as register B asks, and 128 bytes of CMOS RAM. Without it Linux's rtc_cmos probe
// spins for seconds. No alarms, no periodic interrupt.
#include <array>
#include <cstdint>
#include <mutex>

#include "devices/bus.hpp"

namespace hyper::devices {

class Cmos final : public BusDevice {
  public:
    static constexpr uint64_t k_base = 0x70;
    static constexpr uint64_t k_size = 2;
    Cmos();

    const char* name() const override { return "cmos"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

  private:
    uint8_t read_index(uint8_t index);
    std::mutex m_lock;
    uint8_t m_index{0};
    std::array<uint8_t, 128> m_ram{};
};

} // namespace hyper::devices
