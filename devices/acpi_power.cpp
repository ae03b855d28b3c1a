#include "devices/acpi_power.hpp"

#include "base/log.hpp"

namespace hyper::devices {

void AcpiPower::read(uint64_t, std::span<uint8_t> data) {
    for (auto& b : data)
        b = 0;
}

void AcpiPower::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.size() != 1)
        return; // byte registers
    uint8_t value = data[0];
    if (offset == k_sleep_control && (value & k_sleep_enable)) {
        unsigned type = (value & k_sleep_type_mask) >> k_sleep_type_shift;
        if (type == k_s5)
            m_on_power_off();
        else
            LOG_WARN("the guest asked for ACPI sleep type %u, which is not offered", type);
    } else if (offset == k_reset && value == k_reset_value) {
        m_on_reset();
    }
}

} // namespace hyper::devices
