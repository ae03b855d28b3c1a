#pragma once
// Just enough of the i8042 keyboard controller for Linux to probe it quickly and to
// reset the machine through it (command 0xfe on port 0x64, the "reboot=k" method).
// No keyboard is attached. Ports: 0x60 data (offset 0), 0x64 status/command (offset 4).
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "devices/bus.hpp"

namespace hyper::devices {

class I8042 final : public BusDevice {
  public:
    static constexpr uint64_t k_base = 0x60;
    static constexpr uint64_t k_size = 5;
    explicit I8042(std::function<void()> on_reset) : m_on_reset(std::move(on_reset)) {}

    const char* name() const override { return "i8042"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

  private:
    std::mutex m_lock;
    std::function<void()> m_on_reset;
    std::optional<uint8_t> m_output; // byte waiting in the output buffer
    uint8_t m_pending_command{0};    // a command waiting for its data byte
    uint8_t m_control{0x30};         // controller configuration: both ports disabled
    uint8_t m_output_port{0x01};
};

} // namespace hyper::devices
