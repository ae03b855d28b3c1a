#include "devices/control.hpp"

#include <cstring>

#include "base/log.hpp"

namespace hyper::devices {

namespace {
uint32_t little_endian(std::span<const uint8_t> data) {
    uint32_t value = 0;
    for (size_t i = 0; i < data.size() && i < 4; i++)
        value |= uint32_t(data[i]) << (8 * i);
    return value;
}
} // namespace

void ControlPage::read(uint64_t offset, std::span<uint8_t> data) {
    uint32_t value = 0;
    if (offset == k_magic)
        value = k_magic_value;
    else if (offset == k_signal)
        value = m_signal.exchange(0, std::memory_order_acq_rel);
    std::memset(data.data(), 0, data.size());
    for (size_t i = 0; i < data.size() && i < 4; i++)
        data[i] = static_cast<uint8_t>(value >> (8 * i));
}

void ControlPage::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.empty())
        return;
    uint32_t value = little_endian(data);
    if (offset == k_boot_mark && data.size() == 1) {
        if (m_callbacks.boot_mark)
            m_callbacks.boot_mark(static_cast<uint8_t>(value));
    } else if (offset == k_exit_status && data.size() == 4 && value <= 255) {
        if (m_callbacks.exit_status)
            m_callbacks.exit_status(static_cast<uint8_t>(value));
    } else if (offset == k_power_off && data.size() == 4) {
        if (m_callbacks.power_off)
            m_callbacks.power_off();
    } else if (m_bad_writes.fetch_add(1, std::memory_order_relaxed) < 8) {
        LOG_DEBUG("control page: ignored %zu-byte write of 0x%x at 0x%llx", data.size(), value,
                  (unsigned long long)offset);
    }
}

} // namespace hyper::devices
