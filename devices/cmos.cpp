#include "devices/cmos.hpp"

#include <ctime>

namespace hyper::devices {

namespace {
constexpr uint8_t REG_SEC = 0x00, REG_MIN = 0x02, REG_HOUR = 0x04, REG_WDAY = 0x06, REG_MDAY = 0x07,
                  REG_MON = 0x08, REG_YEAR = 0x09, REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c,
                  REG_D = 0x0d, REG_CENTURY = 0x32;
constexpr uint8_t B_24H = 0x02, B_BINARY = 0x04;
uint8_t to_bcd(int v) {
    return static_cast<uint8_t>(((v / 10) << 4) | (v % 10));
}
} // namespace

Cmos::Cmos() {
    m_ram[REG_A] = 0x26;  // 32.768 kHz time base, 1024 Hz rate, UIP clear
    m_ram[REG_B] = B_24H; // BCD, 24-hour
    m_ram[REG_D] = 0x80;  // RAM and time valid
    // glibc's first gmtime_r() reads the time zone file (/etc/localtime) once. Do it now,
    // on the thread that builds the machine: on a vCPU thread, whose seccomp filter has
    // no openat, it would kill vmm (a kernel with ACPI reads the RTC after boot).
    time_t epoch = 0;
    struct tm tm {};
    ::gmtime_r(&epoch, &tm);
}

uint8_t Cmos::read_index(uint8_t index) {
    time_t now = ::time(nullptr);
    struct tm tm {};
    ::gmtime_r(&now, &tm);
    bool binary = m_ram[REG_B] & B_BINARY;
    auto enc = [&](int v) { return binary ? static_cast<uint8_t>(v) : to_bcd(v); };
    switch (index) {
    case REG_SEC: return enc(tm.tm_sec);
    case REG_MIN: return enc(tm.tm_min);
    case REG_HOUR: return enc(tm.tm_hour);
    case REG_WDAY: return enc(tm.tm_wday + 1);
    case REG_MDAY: return enc(tm.tm_mday);
    case REG_MON: return enc(tm.tm_mon + 1);
    case REG_YEAR: return enc(tm.tm_year % 100);
    case REG_CENTURY: return enc((tm.tm_year + 1900) / 100);
    case REG_A: return m_ram[REG_A] & 0x7f; // never "update in progress"
    case REG_C: return 0;                   // no interrupt flags
    default: return m_ram[index];
    }
}

void Cmos::read(uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard guard(m_lock);
    uint8_t value = offset == 1 ? read_index(m_index) : 0xff;
    for (auto& b : data)
        b = value;
}

void Cmos::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.empty())
        return;
    std::lock_guard guard(m_lock);
    if (offset == 0) {
        m_index = data[0] & 0x7f; // bit 7 masks NMI
    } else if (m_index != REG_C && m_index != REG_D) {
        m_ram[m_index] = data[0];
    }
}

} // namespace hyper::devices
