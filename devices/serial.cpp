#include "devices/serial.hpp"

#include <cerrno>
#include <unistd.h>

namespace hyper::devices {

namespace {
// Register offsets and bits, from the 16550A data sheet.
constexpr uint64_t REG_DATA = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3, REG_MCR = 4,
                   REG_LSR = 5, REG_MSR = 6, REG_SCR = 7;
constexpr uint8_t IER_RDI = 0x01, IER_THRI = 0x02;
constexpr uint8_t IIR_NONE = 0x01, IIR_THRE = 0x02, IIR_RDI = 0x04, IIR_FIFO = 0xc0;
constexpr uint8_t LCR_DLAB = 0x80;
constexpr uint8_t MCR_LOOP = 0x10;
constexpr uint8_t LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40;
constexpr uint8_t MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80;
} // namespace

void Serial::read(uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard guard(m_lock);
    for (size_t i = 0; i < data.size(); i++)
        data[i] = read_register(offset + i);
    update_interrupt();
}

void Serial::write(uint64_t offset, std::span<const uint8_t> data) {
    std::lock_guard guard(m_lock);
    for (size_t i = 0; i < data.size(); i++)
        write_register(offset + i, data[i]);
    update_interrupt();
}

size_t Serial::enqueue_input(std::span<const uint8_t> bytes) {
    std::lock_guard guard(m_lock);
    size_t taken = 0;
    while (taken < bytes.size() && m_rx.size() < k_rx_capacity)
        m_rx.push_back(bytes[taken++]);
    update_interrupt();
    return taken;
}

uint8_t Serial::interrupt_id() const {
    if ((m_ier & IER_RDI) && !m_rx.empty())
        return IIR_RDI;
    if ((m_ier & IER_THRI) && m_thre_pending)
        return IIR_THRE;
    return IIR_NONE;
}

// The line is edge-triggered: raise an edge whenever a new condition appears.
void Serial::update_interrupt() {
    bool pending = interrupt_id() != IIR_NONE;
    if (pending && !m_irq_asserted)
        m_irq.trigger();
    m_irq_asserted = pending;
}

uint8_t Serial::read_register(uint64_t offset) {
    bool dlab = m_lcr & LCR_DLAB;
    switch (offset) {
    case REG_DATA: {
        if (dlab)
            return m_dll;
        if (m_rx.empty())
            return 0;
        uint8_t b = m_rx.front();
        m_rx.pop_front();
        return b;
    }
    case REG_IER: return dlab ? m_dlm : m_ier;
    case REG_IIR_FCR: {
        uint8_t id = interrupt_id();
        if (id == IIR_THRE)
            m_thre_pending = false; // reading IIR acknowledges THRE
        return id | ((m_fcr & 0x01) ? IIR_FIFO : 0);
    }
    case REG_LCR: return m_lcr;
    case REG_MCR: return m_mcr;
    case REG_LSR: return (m_rx.empty() ? 0 : LSR_DR) | LSR_THRE | LSR_TEMT;
    case REG_MSR:
        if (m_mcr & MCR_LOOP) // modem outputs fed back to the inputs
            return ((m_mcr & 0x02) ? MSR_CTS : 0) | ((m_mcr & 0x01) ? MSR_DSR : 0) |
                   ((m_mcr & 0x04) ? MSR_RI : 0) | ((m_mcr & 0x08) ? MSR_DCD : 0);
        return MSR_CTS | MSR_DSR | MSR_DCD;
    case REG_SCR: return m_scr;
    default: return 0xff;
    }
}

void Serial::write_register(uint64_t offset, uint8_t value) {
    bool dlab = m_lcr & LCR_DLAB;
    switch (offset) {
    case REG_DATA:
        if (dlab) {
            m_dll = value;
        } else if (m_mcr & MCR_LOOP) {
            if (m_rx.size() < k_rx_capacity)
                m_rx.push_back(value);
        } else {
            emit(value);
            m_thre_pending = true; // transmitted at once: THR empty again
            m_irq_asserted = false;
        }
        break;
    case REG_IER:
        if (dlab) {
            m_dlm = value;
        } else {
            if (!(m_ier & IER_THRI) && (value & IER_THRI))
                m_thre_pending = true;
            m_ier = value & 0x0f;
        }
        break;
    case REG_IIR_FCR:
        m_fcr = value;
        if (value & 0x02)
            m_rx.clear(); // clear receive FIFO
        break;
    case REG_LCR: m_lcr = value; break;
    case REG_MCR: m_mcr = value & 0x1f; break;
    case REG_SCR: m_scr = value; break;
    default: break; // LSR and MSR are read-only
    }
}

void Serial::emit(uint8_t byte) {
    if (m_out_fd < 0)
        return;
    for (;;) {
        ssize_t r = ::write(m_out_fd, &byte, 1);
        if (r == 1 || (r < 0 && errno != EINTR))
            return;
    }
}

} // namespace hyper::devices
