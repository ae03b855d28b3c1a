#pragma once
// The control page: one 4 KiB MMIO page through which hyper's guest init talks to the
// VMM (guest/init/init.c maps it with /dev/mem). On x86_64 it sits at
// x86::k_control_page_addr, in the MMIO hole. Registers (little-endian):
//   0x00  W8   boot mark: the guest writes a mark value (123: init started)
//   0x04  R32  magic "HYPR" (0x52505948), so the init knows it runs under vmm
//   0x08  W32  the app's exit status, 0..255 (the init writes 128+N for signal N)
//   0x0c  W32  power off: any write stops the VM now (after the status was written)
//   0x10  R32  a signal for the init to deliver to the app, 0 when none; reading clears it
// Every other offset reads 0 and ignores writes. Values from the guest are checked.
#include <atomic>
#include <cstdint>
#include <functional>

#include "devices/bus.hpp"

namespace hyper::devices {

class ControlPage final : public BusDevice {
  public:
    static constexpr uint64_t k_size = 0x1000;
    static constexpr uint64_t k_boot_mark = 0x00;
    static constexpr uint64_t k_magic = 0x04;
    static constexpr uint64_t k_exit_status = 0x08;
    static constexpr uint64_t k_power_off = 0x0c;
    static constexpr uint64_t k_signal = 0x10;
    static constexpr uint32_t k_magic_value = 0x52505948; // "HYPR"
    static constexpr uint8_t k_boot_mark_init = 123;

    struct Callbacks {
        std::function<void(uint8_t mark)> boot_mark;     // may be empty
        std::function<void(uint8_t status)> exit_status; // a valid status was reported
        std::function<void()> power_off;                 // the guest asks to stop now
    };
    explicit ControlPage(Callbacks callbacks) : m_callbacks(std::move(callbacks)) {}

    const char* name() const override { return "control"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // Host side: asks the init to deliver `signo` to the app (the latest one wins).
    void post_signal(uint32_t signo) { m_signal.store(signo, std::memory_order_release); }

  private:
    Callbacks m_callbacks;
    std::atomic<uint32_t> m_signal{0};
    std::atomic<uint32_t> m_bad_writes{0};
};

} // namespace hyper::devices
