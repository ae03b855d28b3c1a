#include "devices/virtio/vsock_packet.hpp"

#include <algorithm>

namespace hyper::virtio {

namespace {

// Calls `step(addr, n)` for each piece of bytes [offset, offset + len) of the readable or
// writable part of `chain`, in order. false when a step fails or the part is too short.
template <typename Step>
bool for_each_piece(const DescriptorChain& chain, bool writable, uint64_t offset, uint64_t len,
                    Step step) {
    for (const Descriptor& d : chain.descriptors) {
        if (len == 0)
            break;
        if (d.writable != writable)
            continue;
        if (offset >= d.len) {
            offset -= d.len;
            continue;
        }
        uint64_t n = std::min<uint64_t>(d.len - offset, len);
        // The queue checked the whole descriptor against guest memory.
        if (!step(d.addr.unchecked_add(offset), n))
            return false;
        offset = 0;
        len -= n;
    }
    return len == 0;
}

} // namespace

bool chain_read(const DescriptorChain& chain, const GuestMemory& mem, uint64_t offset,
                std::span<uint8_t> out) {
    size_t done = 0;
    return for_each_piece(chain, false, offset, out.size(), [&](GuestAddress addr, uint64_t n) {
        bool ok = mem.read(addr, out.subspan(done, n));
        done += n;
        return ok;
    });
}

bool chain_write(const DescriptorChain& chain, const GuestMemory& mem, uint64_t offset,
                 std::span<const uint8_t> in) {
    size_t done = 0;
    return for_each_piece(chain, true, offset, in.size(), [&](GuestAddress addr, uint64_t n) {
        bool ok = mem.write(addr, in.subspan(done, n));
        done += n;
        return ok;
    });
}

bool chain_iovecs(const DescriptorChain& chain, const GuestMemory& mem, bool writable,
                  uint64_t offset, uint64_t len, std::vector<iovec>& iov) {
    return for_each_piece(chain, writable, offset, len, [&](GuestAddress addr, uint64_t n) {
        auto view = mem.host_span(addr, n);
        if (!view)
            return false;
        iov.push_back({view->data(), view->size()});
        return true;
    });
}

TxPacket parse_tx_packet(const DescriptorChain& chain, const GuestMemory& mem, uint64_t guest_cid) {
    TxPacket p;
    uint64_t readable = chain.readable_bytes();
    auto raw = std::span(reinterpret_cast<uint8_t*>(&p.header), sizeof p.header);
    if (readable < k_vsock_header_size || !chain_read(chain, mem, 0, raw)) {
        p.refusal = TxRefusal::ShortHeader;
        return p;
    }
    const vsock::Header& h = p.header;
    if (h.src_cid != guest_cid || h.dst_cid != vsock::k_host_cid) {
        p.refusal = TxRefusal::BadAddress;
        return p;
    }
    if (h.len > readable - k_vsock_header_size || h.len > k_vsock_max_payload ||
        (h.op != vsock::k_op_rw && h.len != 0))
        p.refusal = TxRefusal::BadLength;
    return p;
}

} // namespace hyper::virtio
