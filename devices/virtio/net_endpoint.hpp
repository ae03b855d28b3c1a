#pragma once
// Where the packets of a virtio-net device go: a TAP device in production (tap.hpp), a
// socket pair in tests. One call moves one whole packet, virtio-net header
// (virtio_net_hdr_v1, 12 bytes) first, so the endpoint must keep packet boundaries.
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <sys/uio.h>

#include "base/result.hpp"

namespace hyper::virtio {

// TUNSETOFFLOAD flags (linux/if_tun.h), the offloads the endpoint may hand us: packets
// with a partial checksum (csum) and TCP segments larger than the MTU (tso4/tso6/ecn).
constexpr unsigned k_offload_csum = 0x01;
constexpr unsigned k_offload_tso4 = 0x02;
constexpr unsigned k_offload_tso6 = 0x04;
constexpr unsigned k_offload_tso_ecn = 0x08;

class PacketEndpoint {
  public:
    virtual ~PacketEndpoint() = default;
    virtual const std::string& name() const = 0;
    // Non-blocking; pollable: readable when a packet waits, writable when one may be
    // sent.
    virtual int fd() const = 0;
    // Reads one packet into `iov`. Returns its whole length, which is more than `iov`
    // holds when the packet did not fit (it was truncated and is gone), or -errno
    // (-EAGAIN: nothing waiting).
    virtual ssize_t read_packet(const iovec* iov, int count) = 0;
    // Sends one packet gathered from `iov`. Returns the bytes taken or -errno (-EAGAIN:
    // try again once fd() is writable).
    virtual ssize_t write_packet(const iovec* iov, int count) = 0;
    // The offloads of the packets read_packet() may return (k_offload_* flags), as the
    // driver negotiated them.
    virtual Result<void> set_offload(unsigned flags) = 0;
};

} // namespace hyper::virtio
