#pragma once
// One virtio-vsock stream connection between a guest port and a host Unix socket: its
// state, the credit accounting in both directions (virtio 1.2, 5.10.6.3) and the bounded
// buffer of guest bytes the host socket has not taken yet.
//
// Credit, device -> guest: the guest advertises buf_alloc (its receive buffer) and
// fwd_cnt (bytes its application consumed) in every packet; we may have at most
// buf_alloc - (sent - fwd_cnt) bytes in flight. A fwd_cnt that counts bytes we never
// sent is a lie: the connection is reset.
// Credit, guest -> device: we advertise k_buf_alloc and the bytes we wrote to the host
// socket; a guest that sends more than that is reset, so the buffer never holds more
// than k_buf_alloc bytes.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/fd.hpp"

namespace hyper::virtio {

using VsockClock = std::chrono::steady_clock;

// Bytes waiting for a host socket: appended at the tail, written from the head.
class ByteQueue {
  public:
    size_t size() const { return m_data.size() - m_head; }
    bool empty() const { return size() == 0; }
    std::span<const uint8_t> front() const { return {m_data.data() + m_head, size()}; }
    // `n` more bytes at the tail, for the caller to fill.
    std::span<uint8_t> grow(size_t n);
    // Drops `n` bytes (at most size()) from the head.
    void consume(size_t n);
    // Gives the bytes and their memory back.
    void clear();

  private:
    std::vector<uint8_t> m_data;
    size_t m_head{0};
};

// What the guest lets the device send it.
class GuestCredit {
  public:
    // The largest receive buffer we believe in; a bigger buf_alloc is clamped to it.
    static constexpr uint32_t k_max_buf_alloc = 16u << 20;

    // The first packet of the connection (REQUEST or RESPONSE) sets the starting point.
    void init(uint32_t buf_alloc, uint32_t fwd_cnt);
    // Every later packet. false: fwd_cnt counts bytes we never sent. One older than the
    // last is ignored (it cannot hurt: it only understates the credit).
    [[nodiscard]] bool update(uint32_t buf_alloc, uint32_t fwd_cnt);
    // Bytes we may still send.
    uint32_t available() const;
    void sent(uint32_t bytes) { m_sent += bytes; }
    uint32_t in_flight() const { return m_sent - m_fwd_cnt; }

  private:
    uint32_t m_buf_alloc{0};
    uint32_t m_fwd_cnt{0};
    uint32_t m_sent{0};
};

// What the device lets the guest send it.
class HostCredit {
  public:
    static constexpr uint32_t k_buf_alloc = 256 * 1024;
    // Say how far we got once the guest believes less than this is free.
    static constexpr uint32_t k_update_threshold = 64 * 1024;

    // `len` more bytes from the guest. false: more than its credit allowed.
    [[nodiscard]] bool accept(uint32_t len);
    // `n` of them reached the host socket.
    void forwarded(uint32_t n) { m_fwd_cnt += n; }
    uint32_t buffered() const { return m_received - m_fwd_cnt; }
    // The fwd_cnt for an outgoing header; the guest knows it from then on.
    uint32_t stamp() {
        m_reported = m_fwd_cnt;
        return m_fwd_cnt;
    }
    // Whether the guest would be helped by a CREDIT_UPDATE now.
    bool update_due() const;

  private:
    uint32_t m_received{0};
    uint32_t m_fwd_cnt{0};
    uint32_t m_reported{0};
};

// One connection, keyed by (local_port, peer_port): the host side's port and the guest's.
struct VsockConnection {
    VsockConnection(Fd host_socket, uint64_t token, uint32_t local_port, uint32_t peer_port)
        : socket(std::move(host_socket)), token(token), local_port(local_port),
          peer_port(peer_port) {}

    Fd socket;
    uint64_t token; // its epoll token; unique for the worker's lifetime
    uint32_t local_port;
    uint32_t peer_port;
    // false while a host-initiated connection waits for the guest's RESPONSE.
    bool established{false};

    // Host socket readiness, edge-triggered: set by epoll, cleared on EAGAIN.
    bool readable{true};
    bool writable{true};
    bool host_hup{false}; // the host peer closed its socket (EPOLLHUP)

    bool host_eof{false};           // read 0 from the host: SHUTDOWN SEND is on its way
    bool full_shutdown_sent{false}; // SHUTDOWN RCV|SEND queued: the guest should RST
    bool host_write_shut{false};    // shutdown(SHUT_WR) done after the guest's SEND
    uint32_t guest_shutdown{0};     // k_shutdown_* flags the guest sent
    bool credit_update_queued{false};
    // When the guest has not answered in time (REQUEST, or our full SHUTDOWN): RST.
    std::optional<VsockClock::time_point> deadline;

    GuestCredit to_guest;
    HostCredit from_guest;
    // Guest bytes (and, first, `preamble` bytes of "OK <port>\n") for the host socket.
    ByteQueue out;
    size_t preamble{0};
};

inline uint64_t vsock_key(uint32_t local_port, uint32_t peer_port) {
    return (uint64_t{local_port} << 32) | peer_port;
}

} // namespace hyper::virtio
