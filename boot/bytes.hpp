#pragma once
// Bounds-checked little-endian reads from an untrusted byte buffer (a kernel file).
// Every read names an offset and fails (nullopt) instead of reading past the end.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

namespace hyper::boot {

// True when [offset, offset+len) lies inside a buffer of `size` bytes (overflow-safe).
constexpr bool in_bounds(uint64_t size, uint64_t offset, uint64_t len) {
    return offset <= size && len <= size - offset;
}

template <typename T> std::optional<T> read_le(std::span<const uint8_t> bytes, uint64_t offset) {
    static_assert(std::is_unsigned_v<T>);
    if (!in_bounds(bytes.size(), offset, sizeof(T)))
        return std::nullopt;
    T value = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
        value |= static_cast<T>(static_cast<T>(bytes[offset + i]) << (8 * i));
    return value;
}

// For offsets already checked against the buffer's size.
template <typename T> T get_le(std::span<const uint8_t> bytes, uint64_t offset) {
    return read_le<T>(bytes, offset).value_or(0);
}

// "0x1f00" for error messages.
inline std::string hex(uint64_t value) {
    char buf[24];
    std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(value));
    return buf;
}

} // namespace hyper::boot
