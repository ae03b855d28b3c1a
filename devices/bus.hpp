#pragma once
// A bus of address ranges (port I/O or MMIO). Devices see offsets into their own range,
// never absolute addresses. Ranges are fixed before the vCPUs start, so lookups take no
// lock; each device serialises its own state.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace hyper::devices {

class BusDevice {
  public:
    virtual ~BusDevice() = default;
    virtual const char* name() const = 0;
    // `data` is 1, 2, 4 or 8 bytes, little-endian. Reads must fill it.
    virtual void read(uint64_t offset, std::span<uint8_t> data) = 0;
    virtual void write(uint64_t offset, std::span<const uint8_t> data) = 0;
};

class Bus {
  public:
    // Refuses empty ranges, ranges that wrap around, and ranges that overlap others.
    Result<void> insert(uint64_t base, uint64_t length, std::shared_ptr<BusDevice> device);

    // false when no device covers the whole access (it may not cross a range's end).
    bool read(uint64_t address, std::span<uint8_t> data) const;
    bool write(uint64_t address, std::span<const uint8_t> data) const;

  private:
    struct Range {
        uint64_t base;
        uint64_t length;
        std::shared_ptr<BusDevice> device;
    };
    const Range* find(uint64_t address, uint64_t size) const;
    std::vector<Range> m_ranges; // sorted by base
};

} // namespace hyper::devices
