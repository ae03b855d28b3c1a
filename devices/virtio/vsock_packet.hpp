#pragma once
// A virtio-vsock packet as it crosses one descriptor chain (virtio 1.2, 5.10.6): the
// 44-byte header, then `len` payload bytes. A driver may split both over descriptors as
// it likes (one descriptor for the header and one for the payload, or one for both), so
// everything here works on byte offsets into the chain's device-readable part (TX
// packets) or device-writable part (RX buffers). Payload bytes move between guest memory
// and host sockets through checked host views (GuestMemory::host_span); the header is
// copied exactly once and only the copy is looked at.
#include <cstdint>
#include <optional>
#include <span>
#include <sys/uio.h>
#include <vector>

#include "base/guest_memory.hpp"
#include "devices/virtio/queue.hpp"
#include "devices/virtio/spec.hpp"

namespace hyper::virtio {

constexpr uint64_t k_vsock_header_size = sizeof(vsock::Header);

// Copies `out.size()` bytes from `offset` bytes into the readable part of `chain`.
// false when that part is shorter.
bool chain_read(const DescriptorChain& chain, const GuestMemory& mem, uint64_t offset,
                std::span<uint8_t> out);
// Copies `in` to `offset` bytes into the writable part. false when that part is shorter.
bool chain_write(const DescriptorChain& chain, const GuestMemory& mem, uint64_t offset,
                 std::span<const uint8_t> in);
// Appends host views of bytes [offset, offset + len) of the readable (`writable` false)
// or writable part to `iov`. false when the part is shorter.
bool chain_iovecs(const DescriptorChain& chain, const GuestMemory& mem, bool writable,
                  uint64_t offset, uint64_t len, std::vector<iovec>& iov);

// Why a TX packet was refused before anything looked at its connection.
enum class TxRefusal : uint8_t {
    None,
    ShortHeader, // fewer than 44 readable bytes
    BadLength,   // len beyond the chain, above the 64 KiB packet limit, or on a control op
    BadAddress,  // src_cid is not the guest's or dst_cid is not the host's
};

struct TxPacket {
    vsock::Header header{};
    TxRefusal refusal{TxRefusal::None};
};

// The largest payload of one packet, either way (Linux' VIRTIO_VSOCK_MAX_PKT_BUF_SIZE).
constexpr uint32_t k_vsock_max_payload = 64 * 1024;

// Copies and checks the header of a TX chain. The payload stays in guest memory at
// offset k_vsock_header_size of the readable part.
TxPacket parse_tx_packet(const DescriptorChain& chain, const GuestMemory& mem, uint64_t guest_cid);

} // namespace hyper::virtio
