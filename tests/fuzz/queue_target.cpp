// Target "queue": the split-virtqueue walker (devices/virtio/queue.*) over rings and
// descriptor tables the input writes into fake guest RAM.
//
// Input: 8 header bytes, then guest RAM from address 0.
//   [0] log2 of the queue size (mod 9: 1..256)  [1] bit 0 EVENT_IDX, bit 1 INDIRECT_DESC
//   [2..3] descriptor table, [4..5] avail ring, [6..7] used ring (little-endian offsets)
#include "devices/virtio/queue.hpp"
#include "tests/fuzz/fuzz_memory.hpp"
#include "tests/fuzz/targets.hpp"

namespace hyper::fuzz {

namespace {
uint16_t le16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] | p[1] << 8);
}
} // namespace

int queue(const uint8_t* data, size_t size) {
    if (size < 8)
        return 0;
    const GuestMemory& mem = fill_fake_ram(std::span(data + 8, size - 8));
    virtio::Queue q(256);
    q.set_size(static_cast<uint16_t>(1u << (data[0] % 9)));
    q.set_desc_table(GuestAddress(le16(data + 2)));
    q.set_avail_ring(GuestAddress(le16(data + 4)));
    q.set_used_ring(GuestAddress(le16(data + 6)));
    q.set_features(data[1] & 1, data[1] & 2);
    if (!q.valid(mem))
        return 0;
    q.set_ready(true);
    // At most one pass over the ring and a bit: pop never returns more than avail allows.
    for (int i = 0; i < 2 * 256 + 2; i++) {
        auto chain = q.pop(mem);
        if (!chain) {
            if (q.broken() || !q.enable_notification(mem))
                break;
            continue;
        }
        check(chain->head < q.size(), "queue: head index beyond the queue");
        bool seen_writable = false;
        uint64_t total = 0;
        for (const auto& d : chain->descriptors) {
            check(d.len != 0, "queue: zero-length descriptor kept");
            check(mem.contains(d.addr, d.len), "queue: buffer outside guest RAM");
            check(!(seen_writable && !d.writable), "queue: readable after writable");
            seen_writable |= d.writable;
            total += d.len;
        }
        check(total == chain->readable_bytes() + chain->writable_bytes(), "queue: byte counts");
        uint32_t used = chain->ok() ? static_cast<uint32_t>(chain->writable_bytes()) : 0;
        if (!q.add_used(mem, chain->head, used))
            break;
        (void)q.should_notify(mem);
    }
    return 0;
}

} // namespace hyper::fuzz
