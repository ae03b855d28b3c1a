#include "devices/virtio/queue.hpp"

#include <atomic>
#include <bit>

#include "devices/virtio/spec.hpp"

namespace hyper::virtio {

namespace {

// Offsets inside the rings (spec 2.7.6 and 2.7.8).
constexpr uint64_t k_ring_flags = 0;
constexpr uint64_t k_ring_idx = 2;
constexpr uint64_t k_ring_entries = 4;

struct UsedElem {
    uint32_t id;
    uint32_t len;
};
static_assert(sizeof(UsedElem) == k_used_elem_size);

// The 16-bit ring indices and event fields are shared with the guest while it runs:
// access them as atomics (one untorn load or store, with the ordering asked for).
uint16_t* shared_u16(const GuestMemory& mem, GuestAddress addr) {
    auto span = mem.host_span(addr, sizeof(uint16_t));
    if (!span || reinterpret_cast<uintptr_t>(span->data()) % alignof(uint16_t) != 0)
        return nullptr;
    return reinterpret_cast<uint16_t*>(span->data());
}

std::optional<uint16_t> load_u16(const GuestMemory& mem, GuestAddress addr,
                                 std::memory_order order) {
    if (uint16_t* p = shared_u16(mem, addr))
        return std::atomic_ref<uint16_t>(*p).load(order);
    return std::nullopt;
}

bool store_u16(const GuestMemory& mem, GuestAddress addr, uint16_t value, std::memory_order order) {
    if (uint16_t* p = shared_u16(mem, addr)) {
        std::atomic_ref<uint16_t>(*p).store(value, order);
        return true;
    }
    return false;
}

} // namespace

const char* to_string(ChainError error) {
    switch (error) {
    case ChainError::None: return "no error";
    case ChainError::NextOutOfRange: return "next index out of range";
    case ChainError::TooLong: return "chain longer than the queue (loop?)";
    case ChainError::BufferOutOfMemory: return "buffer outside guest memory";
    case ChainError::ReadableAfterWritable: return "readable buffer after a writable one";
    case ChainError::IndirectNotNegotiated: return "indirect descriptor not negotiated";
    case ChainError::IndirectWithNext: return "indirect descriptor with NEXT";
    case ChainError::IndirectNested: return "nested indirect descriptor";
    case ChainError::IndirectBadLength: return "bad indirect table length";
    case ChainError::IndirectOutOfMemory: return "indirect table outside guest memory";
    }
    return "?";
}

uint64_t DescriptorChain::readable_bytes() const {
    uint64_t total = 0;
    for (const auto& d : descriptors)
        total += d.writable ? 0 : d.len;
    return total;
}

uint64_t DescriptorChain::writable_bytes() const {
    uint64_t total = 0;
    for (const auto& d : descriptors)
        total += d.writable ? d.len : 0;
    return total;
}

Queue::Queue(uint16_t max_size) : m_max_size(max_size), m_size(max_size) {}

void Queue::set_features(bool event_idx, bool indirect_desc) {
    m_event_idx = event_idx;
    m_indirect = indirect_desc;
}

void Queue::reset() {
    m_size = m_max_size;
    m_ready = false;
    m_desc = m_avail = m_used = GuestAddress(0);
    m_event_idx = m_indirect = false;
    m_next_avail = m_next_used = m_signalled_used = 0;
    m_broken = false;
}

bool Queue::valid(const GuestMemory& mem) const {
    if (m_size == 0 || m_size > m_max_size || !std::has_single_bit(m_size))
        return false;
    uint64_t n = m_size;
    // Each ring ends with a 16-bit event field (used_event / avail_event).
    return m_desc.value() % 16 == 0 && m_avail.value() % 2 == 0 && m_used.value() % 4 == 0 &&
           mem.contains(m_desc, n * k_desc_size) && mem.contains(m_avail, 6 + 2 * n) &&
           mem.contains(m_used, 6 + n * k_used_elem_size);
}

std::optional<uint16_t> Queue::read_avail_idx(const GuestMemory& mem) const {
    // Acquire: the ring entries and descriptors were written before avail->idx.
    return load_u16(mem, m_avail.unchecked_add(k_ring_idx), std::memory_order_acquire);
}

std::optional<DescriptorChain> Queue::pop(const GuestMemory& mem) {
    if (m_broken || !m_ready)
        return std::nullopt;
    auto avail_idx = read_avail_idx(mem);
    if (!avail_idx) {
        m_broken = true;
        return std::nullopt;
    }
    auto pending = static_cast<uint16_t>(*avail_idx - m_next_avail);
    if (pending == 0)
        return std::nullopt;
    if (pending > m_size) { // the driver can never have more than `size` buffers out
        m_broken = true;
        return std::nullopt;
    }
    uint64_t slot = m_next_avail % m_size;
    auto head = mem.read_obj<uint16_t>(m_avail.unchecked_add(k_ring_entries + 2 * slot));
    if (!head || *head >= m_size) {
        m_broken = true;
        return std::nullopt;
    }
    m_next_avail++;
    DescriptorChain chain;
    chain.head = *head;
    chain.error = walk(mem, *head, chain);
    if (!chain.ok())
        chain.descriptors.clear();
    return chain;
}

ChainError Queue::take(const GuestMemory& mem, const RawDesc& desc, DescriptorChain& chain,
                       bool& seen_writable) const {
    bool writable = desc.flags & k_desc_f_write;
    if (!writable && seen_writable)
        return ChainError::ReadableAfterWritable;
    seen_writable |= writable;
    if (desc.len == 0)
        return ChainError::None; // carries nothing; its address is never used
    if (!mem.contains(GuestAddress(desc.addr), desc.len))
        return ChainError::BufferOutOfMemory;
    chain.descriptors.push_back({GuestAddress(desc.addr), desc.len, writable});
    return ChainError::None;
}

ChainError Queue::walk(const GuestMemory& mem, uint16_t head, DescriptorChain& chain) const {
    bool seen_writable = false;
    uint16_t index = head;
    for (uint32_t count = 0;; count++) {
        if (count >= m_size)
            return ChainError::TooLong;
        // One copy of each descriptor; only the copy is looked at afterwards.
        auto desc = mem.read_obj<RawDesc>(m_desc.unchecked_add(k_desc_size * index));
        if (!desc)
            return ChainError::BufferOutOfMemory;
        if (desc->flags & k_desc_f_indirect) {
            if (!m_indirect)
                return ChainError::IndirectNotNegotiated;
            if (desc->flags & k_desc_f_next)
                return ChainError::IndirectWithNext;
            return walk_indirect(mem, *desc, chain, seen_writable);
        }
        if (auto err = take(mem, *desc, chain, seen_writable); err != ChainError::None)
            return err;
        if (!(desc->flags & k_desc_f_next))
            return ChainError::None;
        if (desc->next >= m_size)
            return ChainError::NextOutOfRange;
        index = desc->next;
    }
}

ChainError Queue::walk_indirect(const GuestMemory& mem, const RawDesc& table,
                                DescriptorChain& chain, bool& seen_writable) const {
    if (table.len == 0 || table.len % k_desc_size != 0)
        return ChainError::IndirectBadLength;
    uint64_t count = table.len / k_desc_size;
    if (count > m_max_size)
        return ChainError::IndirectBadLength;
    std::vector<RawDesc> entries(count);
    auto bytes = std::span(reinterpret_cast<uint8_t*>(entries.data()), table.len);
    if (!mem.read(GuestAddress(table.addr), bytes))
        return ChainError::IndirectOutOfMemory;
    uint64_t index = 0;
    for (uint64_t n = 0;; n++) {
        if (n >= count)
            return ChainError::TooLong;
        const RawDesc& desc = entries[index];
        if (desc.flags & k_desc_f_indirect)
            return ChainError::IndirectNested;
        if (auto err = take(mem, desc, chain, seen_writable); err != ChainError::None)
            return err;
        if (!(desc.flags & k_desc_f_next))
            return ChainError::None;
        if (desc.next >= count)
            return ChainError::NextOutOfRange;
        index = desc.next;
    }
}

bool Queue::add_used(const GuestMemory& mem, uint16_t head, uint32_t written_len) {
    if (m_broken || !m_ready)
        return false;
    uint64_t slot = m_next_used % m_size;
    UsedElem elem{head, written_len};
    if (!mem.write_obj(m_used.unchecked_add(k_ring_entries + k_used_elem_size * slot), elem)) {
        m_broken = true;
        return false;
    }
    m_next_used++;
    // Release: the element must be visible before the index that publishes it.
    if (!store_u16(mem, m_used.unchecked_add(k_ring_idx), m_next_used, std::memory_order_release)) {
        m_broken = true;
        return false;
    }
    return true;
}

bool Queue::should_notify(const GuestMemory& mem) {
    // used->idx must be visible before we look at what the driver asked for; the
    // driver orders its side the same way, so one of us sees the other's update.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    uint16_t old_used = m_signalled_used;
    uint16_t new_used = m_next_used;
    m_signalled_used = new_used;
    if (old_used == new_used || !m_ready)
        return false;
    if (m_event_idx) {
        auto used_event = load_u16(mem, m_avail.unchecked_add(k_ring_entries + 2 * m_size),
                                   std::memory_order_seq_cst);
        if (!used_event)
            return true;
        // Interrupt when used_event lies in [old_used, new_used).
        return static_cast<uint16_t>(new_used - *used_event - 1) <
               static_cast<uint16_t>(new_used - old_used);
    }
    auto flags = load_u16(mem, m_avail.unchecked_add(k_ring_flags), std::memory_order_seq_cst);
    return !flags || !(*flags & k_avail_f_no_interrupt);
}

bool Queue::enable_notification(const GuestMemory& mem) {
    if (m_broken || !m_ready)
        return false;
    if (m_event_idx) {
        GuestAddress avail_event = m_used.unchecked_add(k_ring_entries + k_used_elem_size * m_size);
        if (!store_u16(mem, avail_event, m_next_avail, std::memory_order_seq_cst)) {
            m_broken = true;
            return false;
        }
    }
    // avail_event must be visible before we re-read avail->idx (pairs with the
    // driver's barrier between writing avail->idx and reading avail_event).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    auto avail_idx = read_avail_idx(mem);
    return !avail_idx || *avail_idx != m_next_avail; // unreadable: pop() marks it broken
}

} // namespace hyper::virtio
