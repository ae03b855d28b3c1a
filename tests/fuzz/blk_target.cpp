// Target "blk": virtio-blk request parsing (devices/virtio/block_request.*) on chains the
// input writes into fake guest RAM, popped by the real Queue.
//
// Input: 4 header bytes, then guest RAM from address 0.
//   [0] bit 0 read-only, 1 discard, 2 write-zeroes, 3 may-unmap
//   [1..2] capacity in sectors (little-endian)  [3] max discard / write-zeroes sectors
// The queue has 8 entries: descriptor table at 0, avail ring at 0x80, used ring at 0x100.
#include "devices/virtio/block_request.hpp"
#include "devices/virtio/queue.hpp"
#include "tests/fuzz/fuzz_memory.hpp"
#include "tests/fuzz/targets.hpp"

namespace hyper::fuzz {

namespace {

// Every host view must lie inside the mapping of guest RAM.
bool inside_ram(const GuestMemory& mem, const iovec& v) {
    auto base = reinterpret_cast<uintptr_t>(mem.host_base());
    auto start = reinterpret_cast<uintptr_t>(v.iov_base);
    return start >= base && v.iov_len <= mem.total_size() &&
           start - base <= mem.total_size() - v.iov_len;
}

} // namespace

int blk(const uint8_t* data, size_t size) {
    if (size < 4)
        return 0;
    virtio::DiskInfo disk;
    disk.read_only = data[0] & 1;
    disk.discard = data[0] & 2;
    disk.write_zeroes = data[0] & 4;
    disk.may_unmap = data[0] & 8;
    disk.capacity = static_cast<uint64_t>(data[1] | data[2] << 8);
    disk.max_discard_sectors = data[3];
    disk.max_write_zeroes_sectors = data[3];
    disk.serial = "fuzz-serial";
    const GuestMemory& mem = fill_fake_ram(std::span(data + 4, size - 4));

    virtio::Queue q(8);
    q.set_size(8);
    q.set_desc_table(GuestAddress(0));
    q.set_avail_ring(GuestAddress(0x80));
    q.set_used_ring(GuestAddress(0x100));
    q.set_features(false, true);
    check(q.valid(mem), "blk: ring layout");
    q.set_ready(true);
    for (int i = 0; i < 32; i++) {
        auto chain = q.pop(mem);
        if (!chain)
            break;
        if (!chain->ok()) {
            (void)q.add_used(mem, chain->head, 0);
            continue;
        }
        virtio::BlockRequest req = virtio::prepare_request(*chain, mem, disk);
        uint64_t iov_bytes = 0;
        for (const auto& v : req.iov) {
            check(inside_ram(mem, v), "blk: iovec outside guest RAM");
            iov_bytes += v.iov_len;
        }
        switch (req.op) {
        case virtio::BlockOp::Read:
        case virtio::BlockOp::Write:
            check(iov_bytes == req.length, "blk: iovecs do not cover the length");
            [[fallthrough]];
        case virtio::BlockOp::Discard:
        case virtio::BlockOp::WriteZeroes:
            check(req.offset <= disk.capacity * 512 &&
                      req.length <= disk.capacity * 512 - req.offset,
                  "blk: range beyond the capacity");
            check(!(disk.read_only && req.op != virtio::BlockOp::Read),
                  "blk: write to read-only disk");
            break;
        default: break;
        }
        uint32_t used =
            virtio::finish_request(req, mem, req.op == virtio::BlockOp::Complete ? req.status : 0);
        check(used <= chain->writable_bytes(), "blk: used length beyond the writable bytes");
        (void)q.add_used(mem, chain->head, used);
    }
    return 0;
}

} // namespace hyper::fuzz
