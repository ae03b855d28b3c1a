#include "devices/bus.hpp"

#include <algorithm>

namespace hyper::devices {

Result<void> Bus::insert(uint64_t base, uint64_t length, std::shared_ptr<BusDevice> device) {
    if (length == 0 || base + length < base)
        return fail(ExitCode::Internal,
                    "bus range of " + std::string(device->name()) + " is empty or wraps around");
    auto it = std::lower_bound(m_ranges.begin(), m_ranges.end(), base,
                               [](const Range& r, uint64_t b) { return r.base < b; });
    // Overlap with the next range or with the previous one.
    if (it != m_ranges.end() && it->base < base + length)
        return fail(ExitCode::Internal, std::string(device->name()) + " overlaps " +
                                            it->device->name() + " on the bus");
    if (it != m_ranges.begin()) {
        auto prev = std::prev(it);
        if (prev->base + prev->length > base)
            return fail(ExitCode::Internal, std::string(device->name()) + " overlaps " +
                                                prev->device->name() + " on the bus");
    }
    m_ranges.insert(it, Range{base, length, std::move(device)});
    return {};
}

const Bus::Range* Bus::find(uint64_t address, uint64_t size) const {
    auto it = std::upper_bound(m_ranges.begin(), m_ranges.end(), address,
                               [](uint64_t a, const Range& r) { return a < r.base; });
    if (it == m_ranges.begin())
        return nullptr;
    const Range& r = *std::prev(it);
    uint64_t offset = address - r.base;
    if (offset >= r.length || size > r.length - offset)
        return nullptr;
    return &r;
}

bool Bus::read(uint64_t address, std::span<uint8_t> data) const {
    const Range* r = find(address, data.size());
    if (!r)
        return false;
    r->device->read(address - r->base, data);
    return true;
}

bool Bus::write(uint64_t address, std::span<const uint8_t> data) const {
    const Range* r = find(address, data.size());
    if (!r)
        return false;
    r->device->write(address - r->base, data);
    return true;
}

} // namespace hyper::devices
