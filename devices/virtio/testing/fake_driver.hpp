#pragma once
// Test helper: plays the guest driver's side of a split virtqueue inside a test
// GuestMemory (descriptor table, avail ring, used ring), and of the virtio-mmio
// registers. It writes raw ring contents, so tests can also build hostile chains.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "base/guest_memory.hpp"
#include "devices/bus.hpp"
#include "devices/virtio/queue.hpp"
#include "devices/virtio/spec.hpp"

namespace hyper::virtio::testing {

// One RAM region at guest address 0.
inline GuestMemory make_memory(uint64_t size = 4 << 20) {
    std::pair<uint64_t, uint64_t> range[] = {{0, size}};
    return GuestMemory::create(range).value();
}

struct Buffer {
    uint64_t addr;
    uint32_t len;
    bool writable;
};

struct UsedElem {
    uint32_t id;
    uint32_t len;
};

class FakeDriver {
  public:
    // Lays the rings out from `base`: descriptors, then avail, then used (4 KiB aligned).
    FakeDriver(const GuestMemory& mem, uint16_t size, uint64_t base)
        : m_mem(&mem), m_size(size), m_desc(base), m_avail(base + 16ull * size),
          m_used((m_avail + 6 + 2ull * size + 4095) & ~4095ull) {}

    uint16_t size() const { return m_size; }
    uint64_t desc_addr() const { return m_desc; }
    uint64_t avail_addr() const { return m_avail; }
    uint64_t used_addr() const { return m_used; }
    // Bytes the rings take from `base`.
    uint64_t footprint() const { return m_used + 6 + 8ull * m_size - m_desc; }

    // What the transport would do after QueueNum/Desc/Driver/Device/Ready writes.
    void configure(Queue& q, bool event_idx = false, bool indirect = false) const {
        q.set_size(m_size);
        q.set_desc_table(GuestAddress(m_desc));
        q.set_avail_ring(GuestAddress(m_avail));
        q.set_used_ring(GuestAddress(m_used));
        q.set_features(event_idx, indirect);
        q.set_ready(true);
    }

    // Raw descriptor write, in the queue's table or in an indirect table at `table`.
    void write_desc(uint16_t index, uint64_t addr, uint32_t len, uint16_t flags,
                    uint16_t next = 0) const {
        write_desc_at(m_desc, index, addr, len, flags, next);
    }
    void write_desc_at(uint64_t table, uint32_t index, uint64_t addr, uint32_t len, uint16_t flags,
                       uint16_t next = 0) const {
        uint8_t raw[16];
        std::memcpy(raw, &addr, 8);
        std::memcpy(raw + 8, &len, 4);
        std::memcpy(raw + 12, &flags, 2);
        std::memcpy(raw + 14, &next, 2);
        (void)m_mem->write(GuestAddress(table + 16ull * index), raw);
    }

    // Puts `head` in the next avail slot and moves avail->idx past it.
    void publish(uint16_t head) {
        (void)m_mem->write_obj<uint16_t>(GuestAddress(m_avail + 4 + 2ull * (m_avail_idx % m_size)),
                                         head);
        set_avail_idx(static_cast<uint16_t>(m_avail_idx + 1));
    }
    // Release: what was written before (descriptors, ring entries) is visible first.
    void set_avail_idx(uint16_t idx) {
        m_avail_idx = idx;
        shared(m_avail + 2).store(idx, std::memory_order_release);
    }
    uint16_t avail_idx() const { return m_avail_idx; }
    void set_avail_flags(uint16_t flags) const { shared(m_avail).store(flags); }
    void set_used_event(uint16_t value) const { shared(m_avail + 4 + 2ull * m_size).store(value); }
    uint16_t avail_event() const { return shared(m_used + 4 + 8ull * m_size).load(); }

    // A direct chain in the next free descriptors (allocated round-robin); not published.
    uint16_t build_chain(std::span<const Buffer> bufs) {
        uint16_t head = m_next_desc;
        for (size_t i = 0; i < bufs.size(); i++) {
            uint16_t index = m_next_desc;
            m_next_desc = static_cast<uint16_t>((m_next_desc + 1) % m_size);
            uint16_t flags = bufs[i].writable ? k_desc_f_write : 0;
            if (i + 1 < bufs.size())
                flags |= k_desc_f_next;
            write_desc(index, bufs[i].addr, bufs[i].len, flags, m_next_desc);
        }
        return head;
    }
    // An indirect table at `table` holding `bufs`, referenced by one direct descriptor.
    uint16_t build_indirect(uint64_t table, std::span<const Buffer> bufs) {
        for (size_t i = 0; i < bufs.size(); i++) {
            uint16_t flags = bufs[i].writable ? k_desc_f_write : 0;
            if (i + 1 < bufs.size())
                flags |= k_desc_f_next;
            write_desc_at(table, static_cast<uint32_t>(i), bufs[i].addr, bufs[i].len, flags,
                          static_cast<uint16_t>(i + 1));
        }
        uint16_t head = m_next_desc;
        m_next_desc = static_cast<uint16_t>((m_next_desc + 1) % m_size);
        write_desc(head, table, static_cast<uint32_t>(16 * bufs.size()), k_desc_f_indirect);
        return head;
    }
    uint16_t add_chain(std::span<const Buffer> bufs) {
        uint16_t head = build_chain(bufs);
        publish(head);
        return head;
    }
    uint16_t add_indirect(uint64_t table, std::span<const Buffer> bufs) {
        uint16_t head = build_indirect(table, bufs);
        publish(head);
        return head;
    }

    // Acquire: the used elements and the data written for them are visible after.
    uint16_t used_idx() const { return shared(m_used + 2).load(std::memory_order_acquire); }
    UsedElem used(uint16_t i) const {
        return m_mem->read_obj<UsedElem>(GuestAddress(m_used + 4 + 8ull * (i % m_size))).value();
    }

  private:
    // Ring fields the device reads or writes concurrently.
    std::atomic_ref<uint16_t> shared(uint64_t addr) const {
        auto span = m_mem->host_span(GuestAddress(addr), 2).value();
        return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(span.data()));
    }

    const GuestMemory* m_mem;
    uint16_t m_size;
    uint64_t m_desc, m_avail, m_used;
    uint16_t m_avail_idx{0};
    uint16_t m_next_desc{0};
};

// 32-bit register accesses, as the Linux driver does them.
inline uint32_t mmio_read(devices::BusDevice& dev, uint64_t offset) {
    uint32_t value = 0;
    dev.read(offset, std::span(reinterpret_cast<uint8_t*>(&value), 4));
    return value;
}
inline void mmio_write(devices::BusDevice& dev, uint64_t offset, uint32_t value) {
    dev.write(offset, std::span(reinterpret_cast<const uint8_t*>(&value), 4));
}

// The driver's side of initialisation (spec 3.1.1) for queue 0 laid out by `drv`:
// ACKNOWLEDGE, DRIVER, the feature words, FEATURES_OK, queue set-up, DRIVER_OK.
// Returns the final status register.
inline uint32_t mmio_bring_up(devices::BusDevice& dev, uint64_t features, const FakeDriver& drv) {
    mmio_write(dev, 0x70, 0);
    mmio_write(dev, 0x70, k_status_acknowledge);
    mmio_write(dev, 0x70, k_status_acknowledge | k_status_driver);
    mmio_write(dev, 0x24, 0);
    mmio_write(dev, 0x20, static_cast<uint32_t>(features));
    mmio_write(dev, 0x24, 1);
    mmio_write(dev, 0x20, static_cast<uint32_t>(features >> 32));
    uint32_t status = k_status_acknowledge | k_status_driver | k_status_features_ok;
    mmio_write(dev, 0x70, status);
    if (!(mmio_read(dev, 0x70) & k_status_features_ok))
        return mmio_read(dev, 0x70);
    mmio_write(dev, 0x30, 0);
    mmio_write(dev, 0x38, drv.size());
    mmio_write(dev, 0x80, static_cast<uint32_t>(drv.desc_addr()));
    mmio_write(dev, 0x84, static_cast<uint32_t>(drv.desc_addr() >> 32));
    mmio_write(dev, 0x90, static_cast<uint32_t>(drv.avail_addr()));
    mmio_write(dev, 0x94, static_cast<uint32_t>(drv.avail_addr() >> 32));
    mmio_write(dev, 0xa0, static_cast<uint32_t>(drv.used_addr()));
    mmio_write(dev, 0xa4, static_cast<uint32_t>(drv.used_addr() >> 32));
    mmio_write(dev, 0x44, 1);
    mmio_write(dev, 0x70, status | k_status_driver_ok);
    return mmio_read(dev, 0x70);
}

} // namespace hyper::virtio::testing
