// Target "vsock": the virtio-vsock packet layer (devices/virtio/vsock_packet.*) on chains
// the input writes into fake guest RAM, popped by the real Queue: each chain is parsed as a
// TX packet (header copied once, addresses and length checked), its payload mapped as the
// device would hand it to a socket, and a reply header written as into an RX buffer.
//
// Input: guest RAM from address 0; the queue has 8 entries: descriptor table at 0, avail
// ring at 0x80, used ring at 0x100. The guest's CID is 3.
#include <cstring>

#include "devices/virtio/queue.hpp"
#include "devices/virtio/vsock_packet.hpp"
#include "tests/fuzz/fuzz_memory.hpp"
#include "tests/fuzz/targets.hpp"

namespace hyper::fuzz {

int vsock(const uint8_t* data, size_t size) {
    const GuestMemory& mem = fill_fake_ram(std::span(data, size));
    virtio::Queue q(8);
    q.set_size(8);
    q.set_desc_table(GuestAddress(0));
    q.set_avail_ring(GuestAddress(0x80));
    q.set_used_ring(GuestAddress(0x100));
    q.set_features(true, true);
    check(q.valid(mem), "vsock: ring layout");
    q.set_ready(true);
    for (int i = 0; i < 32; i++) {
        auto chain = q.pop(mem);
        if (!chain)
            break;
        uint32_t used = 0;
        if (chain->ok()) {
            auto packet = virtio::parse_tx_packet(*chain, mem, 3);
            if (packet.refusal == virtio::TxRefusal::None) {
                const auto& h = packet.header;
                check(h.len <= virtio::k_vsock_max_payload &&
                          virtio::k_vsock_header_size + h.len <= chain->readable_bytes(),
                      "vsock: accepted payload beyond the chain");
                std::vector<iovec> iov;
                check(virtio::chain_iovecs(*chain, mem, false, virtio::k_vsock_header_size, h.len,
                                           iov),
                      "vsock: payload of an accepted packet not mappable");
                uint64_t total = 0;
                for (const auto& v : iov)
                    total += v.iov_len;
                check(total == h.len, "vsock: payload iovecs do not cover len");
            }
            virtio::vsock::Header reply{};
            reply.src_cid = virtio::vsock::k_host_cid;
            reply.dst_cid = 3;
            auto raw = std::span(reinterpret_cast<const uint8_t*>(&reply), sizeof reply);
            bool wrote = virtio::chain_write(*chain, mem, 0, raw);
            check(wrote == (chain->writable_bytes() >= sizeof reply), "vsock: chain_write result");
            if (wrote)
                used = sizeof reply;
        }
        if (!q.add_used(mem, chain->head, used))
            break;
    }
    return 0;
}

} // namespace hyper::fuzz
