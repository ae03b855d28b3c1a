#pragma once
// A split virtqueue (virtio 1.2, 2.7) as the device sees it. The guest owns the rings and
// may change them at any moment, so nothing read from them is trusted: every index is
// range-checked, every buffer is checked against guest memory, each descriptor is copied
// exactly once, and a malformed chain is reported instead of followed.
//
// Threads: the transport configures the queue (size, addresses, ready) while the device
// is stopped; after activation only the device's I/O thread touches it.
#include <cstdint>
#include <optional>
#include <vector>

#include "base/guest_memory.hpp"

namespace hyper::virtio {

// Why a chain was refused. The device completes such a chain with a used length of 0.
enum class ChainError : uint8_t {
    None,
    NextOutOfRange,        // a NEXT index beyond the table
    TooLong,               // longer than the queue (or the indirect table): a loop
    BufferOutOfMemory,     // addr+len leaves guest RAM (or wraps around 2^64)
    ReadableAfterWritable, // device-readable buffers must come first
    IndirectNotNegotiated, // VIRTIO_F_RING_INDIRECT_DESC was not accepted
    IndirectWithNext,      // INDIRECT and NEXT on one descriptor
    IndirectNested,        // an indirect descriptor inside an indirect table
    IndirectBadLength,     // table length 0, not a multiple of 16, or too many entries
    IndirectOutOfMemory,   // the table itself is outside guest RAM
};
const char* to_string(ChainError error);

// A copied, validated descriptor. Zero-length descriptors are dropped.
struct Descriptor {
    GuestAddress addr;
    uint32_t len;
    bool writable;
};

struct DescriptorChain {
    uint16_t head{0};
    ChainError error{ChainError::None};
    std::vector<Descriptor> descriptors; // device-readable first, then device-writable

    bool ok() const { return error == ChainError::None; }
    uint64_t readable_bytes() const;
    uint64_t writable_bytes() const;
};

class Queue {
  public:
    // `max_size` is what QueueNumMax reports: a power of two, at most 32768.
    explicit Queue(uint16_t max_size);

    // --- Configuration, written by the transport while the device is stopped.
    uint16_t max_size() const { return m_max_size; }
    uint16_t size() const { return m_size; }
    void set_size(uint16_t size) { m_size = size; }
    bool ready() const { return m_ready; }
    void set_ready(bool ready) { m_ready = ready; }
    GuestAddress desc_table() const { return m_desc; }
    GuestAddress avail_ring() const { return m_avail; }
    GuestAddress used_ring() const { return m_used; }
    void set_desc_table(GuestAddress addr) { m_desc = addr; }
    void set_avail_ring(GuestAddress addr) { m_avail = addr; }
    void set_used_ring(GuestAddress addr) { m_used = addr; }
    // The negotiated ring features; called on activation.
    void set_features(bool event_idx, bool indirect_desc);
    bool event_idx() const { return m_event_idx; }
    // Back to the reset state: size = max, not ready, addresses 0, indices 0.
    void reset();

    // True when the size is a non-zero power of two <= max and all three rings are
    // aligned and inside guest memory. The device must not use a queue that is not.
    bool valid(const GuestMemory& mem) const;

    // --- Device side (the I/O thread).
    // The next available chain, or nullopt when there is none or the queue is broken.
    // A chain that breaks the rules is returned with `error` set: complete it, with
    // add_used(head, 0). A ring that breaks them (avail idx moving by more than the
    // queue size, a head index out of range, an unreadable ring) marks the queue
    // broken: the device must then stop using it and ask for NEEDS_RESET.
    std::optional<DescriptorChain> pop(const GuestMemory& mem);
    bool broken() const { return m_broken; }

    // Writes the used element, then publishes used->idx after a release fence.
    // false (and the queue broken) when the used ring is not writable.
    bool add_used(const GuestMemory& mem, uint16_t head, uint32_t written_len);

    // Whether the driver wants an interrupt for the used entries added since the last
    // call (used_event with VIRTIO_F_RING_EVENT_IDX, else the avail NO_INTERRUPT flag).
    bool should_notify(const GuestMemory& mem);

    // Called when pop() found nothing: asks the driver to notify for the next buffer
    // (writes avail_event with EVENT_IDX), then checks again. true when more chains
    // arrived meanwhile: pop again rather than wait.
    bool enable_notification(const GuestMemory& mem);

    uint16_t next_avail() const { return m_next_avail; }
    uint16_t next_used() const { return m_next_used; }

  private:
    struct RawDesc {
        uint64_t addr;
        uint32_t len;
        uint16_t flags;
        uint16_t next;
    };
    static_assert(sizeof(RawDesc) == 16);

    std::optional<uint16_t> read_avail_idx(const GuestMemory& mem) const;
    ChainError walk(const GuestMemory& mem, uint16_t head, DescriptorChain& chain) const;
    ChainError walk_indirect(const GuestMemory& mem, const RawDesc& table, DescriptorChain& chain,
                             bool& seen_writable) const;
    ChainError take(const GuestMemory& mem, const RawDesc& desc, DescriptorChain& chain,
                    bool& seen_writable) const;

    uint16_t m_max_size;
    uint16_t m_size;
    bool m_ready{false};
    GuestAddress m_desc, m_avail, m_used;
    bool m_event_idx{false};
    bool m_indirect{false};

    uint16_t m_next_avail{0};
    uint16_t m_next_used{0};
    uint16_t m_signalled_used{0}; // used idx at the last should_notify()
    bool m_broken{false};
};

} // namespace hyper::virtio
