#pragma once
// Little-endian appends and the common 36-byte system description table header, for
// the table builders (tables.cpp, dsdt.cpp).
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace hyper::x86::acpi {

inline constexpr size_t k_header_size = 36;
inline constexpr size_t k_length_offset = 4, k_checksum_offset = 9;

class TableWriter {
  public:
    void u8(uint8_t v) { m_bytes.push_back(v); }
    void u16(uint16_t v) { le(v, 2); }
    void u32(uint32_t v) { le(v, 4); }
    void u64(uint64_t v) { le(v, 8); }
    void text(const char* s, size_t n) { m_bytes.insert(m_bytes.end(), s, s + n); }
    void bytes(std::span<const uint8_t> b) { m_bytes.insert(m_bytes.end(), b.begin(), b.end()); }
    // A Generic Address Structure for an 8-bit register in system I/O space.
    void io_gas8(uint16_t port) {
        u8(1); // address space: system I/O
        u8(8); // register bit width
        u8(0); // bit offset
        u8(1); // access size: byte
        u64(port);
    }
    void zero_gas() { m_bytes.insert(m_bytes.end(), 12, 0); }

    // The header with a zero length and checksum, fixed by finish().
    void header(const char signature[4], uint8_t revision) {
        text(signature, 4);
        u32(0);
        u8(revision);
        u8(0);
        text("HYPER ", 6);
        text("HYPERVM ", 8);
        u32(1);
        text("HYPR", 4);
        u32(1);
    }
    size_t size() const { return m_bytes.size(); }
    // Sets the header's length and checksum; returns the table.
    std::vector<uint8_t> finish() {
        auto length = static_cast<uint32_t>(m_bytes.size());
        std::memcpy(m_bytes.data() + k_length_offset, &length, 4);
        m_bytes[k_checksum_offset] = 0;
        uint8_t sum = 0;
        for (auto b : m_bytes)
            sum = static_cast<uint8_t>(sum + b);
        m_bytes[k_checksum_offset] = static_cast<uint8_t>(-sum);
        return std::move(m_bytes);
    }
    std::vector<uint8_t>& raw() { return m_bytes; }

  private:
    void le(uint64_t v, unsigned n) {
        for (unsigned i = 0; i < n; ++i)
            m_bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    std::vector<uint8_t> m_bytes;
};

} // namespace hyper::x86::acpi
