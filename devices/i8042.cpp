#include "devices/i8042.hpp"

namespace hyper::devices {

namespace {
constexpr uint64_t OFF_DATA = 0, OFF_CMD = 4;
constexpr uint8_t ST_OBF = 0x01, ST_SYS = 0x04, ST_CMD = 0x08, ST_UNLOCKED = 0x10;
constexpr uint8_t CMD_READ_CTR = 0x20, CMD_WRITE_CTR = 0x60, CMD_READ_OUTP = 0xd0,
                  CMD_WRITE_OUTP = 0xd1, CMD_SELF_TEST = 0xaa, CMD_KBD_TEST = 0xab,
                  CMD_AUX_TEST = 0xa9, CMD_RESET = 0xfe;
} // namespace

void I8042::read(uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard guard(m_lock);
    uint8_t value = 0;
    if (offset == OFF_DATA) {
        value = m_output.value_or(0);
        m_output.reset();
    } else if (offset == OFF_CMD) {
        // Input buffer always empty (bit 1 clear): the guest never waits on us.
        value = ST_SYS | ST_UNLOCKED | (m_output ? ST_OBF : 0) | (m_pending_command ? ST_CMD : 0);
    }
    for (auto& b : data)
        b = value;
}

void I8042::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.empty())
        return;
    uint8_t value = data[0];
    bool reset = false;
    {
        std::lock_guard guard(m_lock);
        if (offset == OFF_CMD) {
            m_pending_command = 0;
            switch (value) {
            case CMD_READ_CTR: m_output = m_control; break;
            case CMD_WRITE_CTR:
            case CMD_WRITE_OUTP: m_pending_command = value; break;
            case CMD_READ_OUTP: m_output = m_output_port; break;
            case CMD_SELF_TEST: m_output = 0x55; break;
            case CMD_KBD_TEST:
            case CMD_AUX_TEST: m_output = 0x00; break;
            case CMD_RESET: reset = true; break;
            default: break; // enable/disable ports and the rest: accepted, no effect
            }
        } else if (offset == OFF_DATA) {
            if (m_pending_command == CMD_WRITE_CTR)
                m_control = value;
            else if (m_pending_command == CMD_WRITE_OUTP) {
                m_output_port = value;
                reset = !(value & 0x01); // pulling the reset line
            }
            // a byte for the (absent) keyboard is dropped
            m_pending_command = 0;
        }
    }
    if (reset)
        m_on_reset();
}

} // namespace hyper::devices
