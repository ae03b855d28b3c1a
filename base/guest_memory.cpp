#include "base/guest_memory.hpp"

#include <cstring>

namespace hyper {

Result<GuestMemory> GuestMemory::create(std::span<const std::pair<uint64_t, uint64_t>> ranges) {
    uint64_t total = 0;
    for (auto [base, size] : ranges) {
        if (size == 0 || base + size < base || total + size < total)
            return fail(ExitCode::Internal, "invalid guest memory range");
        total += size;
    }
    GuestMemory mem;
    mem.m_mapping = TRY(Mapping::anonymous(total));
    uint64_t offset = 0;
    for (auto [base, size] : ranges) {
        mem.m_regions.push_back({GuestAddress(base), size, mem.m_mapping.data() + offset});
        offset += size;
    }
    return mem;
}

const GuestRegion* GuestMemory::find(GuestAddress addr, uint64_t len) const {
    for (const auto& r : m_regions) {
        uint64_t start = r.base.value();
        if (addr.value() < start)
            continue;
        uint64_t off = addr.value() - start;
        if (off >= r.size)
            continue;
        if (len > r.size - off) // overflow-safe end check
            return nullptr;
        return &r;
    }
    return nullptr;
}

bool GuestMemory::read(GuestAddress addr, std::span<uint8_t> out) const {
    const GuestRegion* r = find(addr, out.size());
    if (!r)
        return false;
    if (!out.empty()) // memcpy with a null pointer is undefined even for 0 bytes
        std::memcpy(out.data(), r->host + (addr.value() - r->base.value()), out.size());
    return true;
}

bool GuestMemory::write(GuestAddress addr, std::span<const uint8_t> in) const {
    const GuestRegion* r = find(addr, in.size());
    if (!r)
        return false;
    if (!in.empty())
        std::memcpy(r->host + (addr.value() - r->base.value()), in.data(), in.size());
    return true;
}

std::optional<std::span<uint8_t>> GuestMemory::host_span(GuestAddress addr, uint64_t len) const {
    const GuestRegion* r = find(addr, len);
    if (!r)
        return std::nullopt;
    return std::span<uint8_t>(r->host + (addr.value() - r->base.value()), len);
}

} // namespace hyper
