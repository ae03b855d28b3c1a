#pragma once
// A 16550A UART (the "8250" Linux drives as ttyS0): output goes to a host fd, input is
// queued by the console thread. Only what the Linux driver uses: THR/RBR, IER, IIR/FCR,
// LCR (with the divisor latch), MCR (with loopback), LSR, MSR and the scratch register.
#include <cstdint>
#include <deque>
#include <mutex>

#include "devices/bus.hpp"
#include "devices/irq_line.hpp"

namespace hyper::devices {

class Serial final : public BusDevice {
  public:
    static constexpr uint64_t k_size = 8;
    // `out_fd` < 0 discards output.
    Serial(IrqLine irq, int out_fd) : m_irq(std::move(irq)), m_out_fd(out_fd) {}

    const char* name() const override { return "serial"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // Bytes typed on the host console. Returns how many were taken (the receive buffer
    // is bounded; the rest should be offered again later).
    size_t enqueue_input(std::span<const uint8_t> bytes);
    const IrqLine& irq() const { return m_irq; }

  private:
    uint8_t read_register(uint64_t offset);
    void write_register(uint64_t offset, uint8_t value);
    void update_interrupt();
    uint8_t interrupt_id() const;
    void emit(uint8_t byte);

    static constexpr size_t k_rx_capacity = 4096;
    std::mutex m_lock;
    IrqLine m_irq;
    int m_out_fd;
    std::deque<uint8_t> m_rx;
    uint8_t m_ier{0}, m_lcr{0x03}, m_mcr{0x08}, m_scr{0}, m_dll{0x0c}, m_dlm{0}, m_fcr{0};
    bool m_thre_pending{false};
    bool m_irq_asserted{false};
};

} // namespace hyper::devices
