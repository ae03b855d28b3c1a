#pragma once
// Guest physical memory. The only way the VMM touches guest RAM: every access names a
// GuestAddress and a length, and is checked on start *and* end (overflow-safe) against
// one region; an access that leaves a region fails, it never touches host memory
// outside guest RAM.
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "base/mapping.hpp"
#include "base/result.hpp"

namespace hyper {

// A guest physical address. Not a pointer: it cannot be dereferenced.
class GuestAddress {
  public:
    constexpr GuestAddress() = default;
    constexpr explicit GuestAddress(uint64_t value) : m_value(value) {}
    constexpr uint64_t value() const { return m_value; }
    // Overflow-checked offset.
    constexpr std::optional<GuestAddress> checked_add(uint64_t offset) const {
        if (offset > UINT64_MAX - m_value)
            return std::nullopt;
        return GuestAddress(m_value + offset);
    }
    constexpr GuestAddress unchecked_add(uint64_t offset) const {
        return GuestAddress(m_value + offset);
    }
    constexpr auto operator<=>(const GuestAddress&) const = default;

  private:
    uint64_t m_value{0};
};

struct GuestRegion {
    GuestAddress base;
    uint64_t size;
    uint8_t* host; // host address of `base`
};

class GuestMemory {
  public:
    // Maps `ram` bytes for the given layout: `ranges` are (base, size) pairs that
    // together sum to the total; one host mapping backs all of them, in order.
    static Result<GuestMemory> create(std::span<const std::pair<uint64_t, uint64_t>> ranges);

    std::span<const GuestRegion> regions() const { return m_regions; }
    uint64_t total_size() const { return m_mapping.size(); }
    uint8_t* host_base() const { return m_mapping.data(); }

    // True when [addr, addr+len) lies inside one region.
    bool contains(GuestAddress addr, uint64_t len) const { return find(addr, len) != nullptr; }

    // Checked copies. Fail (return false / error) when any byte is outside guest RAM.
    [[nodiscard]] bool read(GuestAddress addr, std::span<uint8_t> out) const;
    [[nodiscard]] bool write(GuestAddress addr, std::span<const uint8_t> in) const;

    template <typename T> std::optional<T> read_obj(GuestAddress addr) const {
        static_assert(std::is_trivially_copyable_v<T>);
        T value;
        if (!read(addr, std::span(reinterpret_cast<uint8_t*>(&value), sizeof(T))))
            return std::nullopt;
        return value;
    }
    template <typename T> [[nodiscard]] bool write_obj(GuestAddress addr, const T& value) const {
        static_assert(std::is_trivially_copyable_v<T>);
        return write(addr, std::span(reinterpret_cast<const uint8_t*>(&value), sizeof(T)));
    }

    // A checked host view of guest memory, for bulk I/O (io_uring buffers). The guest
    // may change these bytes at any time: never parse structures through it.
    std::optional<std::span<uint8_t>> host_span(GuestAddress addr, uint64_t len) const;

  private:
    const GuestRegion* find(GuestAddress addr, uint64_t len) const;
    Mapping m_mapping;
    std::vector<GuestRegion> m_regions;
};

} // namespace hyper
