#pragma once
// The I/O thread of one virtio-vsock device. One epoll set holds the three queue notify
// eventfds, the stop and transport-reset eventfds, the listening socket and every host
// socket (edge-triggered: a socket's readiness is remembered in its connection and
// cleared on EAGAIN, so nothing has to be re-armed and nothing spins).
//
// Each wake-up runs rounds of: TX (every packet the guest queued, as long as the control
// queue has room), RX (queued control packets first, then host data, one packet per
// connection per turn, read straight from the host socket into the guest's buffer, never
// more than the guest's credit), the event queue; then at most one interrupt. Without RX
// buffers the thread reads no host socket until the guest adds some.
//
// Memory stays bounded whatever the guest does: at most k_max_connections connections,
// closed ones still flushing to the host included (each buffering at most
// HostCredit::k_buf_alloc guest bytes: a guest sending beyond its credit is reset),
// k_max_control queued control packets plus a few per connection, and k_max_pending
// unfinished CONNECT handshakes.
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <sys/epoll.h>
#include <unordered_map>
#include <vector>

#include "base/event_fd.hpp"
#include "base/fd.hpp"
#include "base/guest_memory.hpp"
#include "devices/virtio/queue.hpp"
#include "devices/virtio/spec.hpp"
#include "devices/virtio/vsock_connection.hpp"

namespace hyper::virtio {

// Counters the tests (and logs) read; the worker updates them.
struct VsockStats {
    std::atomic<uint64_t> dropped_packets{0};   // refused TX packets and RX buffers
    std::atomic<uint64_t> resets_sent{0};       // RST packets written to the guest
    std::atomic<uint64_t> credit_violations{0}; // guest sent beyond credit or lied
    std::atomic<uint64_t> connections{0};       // open now
};

struct VsockWorkerSetup {
    const GuestMemory* memory;
    std::array<Queue*, 3> queues; // rx, tx, event (null when the driver did not enable it)
    std::array<const EventFd*, 3> notify;
    const EventFd* stop;
    const EventFd* reset_request; // VIRTIO_VSOCK_EVENT_TRANSPORT_RESET wanted
    int listener;
    uint64_t guest_cid;
    std::string uds_path;
    VsockStats* stats;
    std::function<void()> signal_used;
    std::function<void()> needs_reset;
};

class VsockWorker {
  public:
    static constexpr size_t k_max_connections = 1024;
    static constexpr size_t k_max_pending = 64;   // accepted, "CONNECT" not read yet
    static constexpr size_t k_max_control = 1024; // queued control packets
    static constexpr uint32_t k_first_local_port = 1u << 30;
    static constexpr auto k_request_timeout = std::chrono::seconds(5);
    static constexpr auto k_close_timeout = std::chrono::seconds(5);
    static constexpr auto k_handshake_timeout = std::chrono::seconds(10);
    static constexpr auto k_linger_timeout = std::chrono::seconds(10);

    explicit VsockWorker(const VsockWorkerSetup& setup);
    ~VsockWorker();
    VsockWorker(const VsockWorker&) = delete;
    VsockWorker& operator=(const VsockWorker&) = delete;
    // Returns once `stop` is signalled; writes nothing to the rings after that.
    void run();
    // run() in pieces, for the fuzz target that drives the worker on its own thread:
    // start() sets up epoll (false: it failed, reset asked for); step() is one turn of
    // the loop, waiting at most `max_wait_ms` (-1: until something happens or the next
    // deadline), false once `stop` is signalled.
    bool start();
    bool step(int max_wait_ms);
    // Acts on every deadline due at `now` (a REQUEST or full SHUTDOWN the guest has not
    // answered, unfinished handshakes, lingering sockets).
    void expire_deadlines(VsockClock::time_point now);

  private:
    struct Control {
        uint32_t local_port;
        uint32_t peer_port;
        uint16_t op;
        uint32_t flags;
        uint64_t token; // the connection's, or 0: sent whether or not it still exists
    };
    struct Pending {
        Fd socket;
        VsockClock::time_point deadline;
    };
    struct Lingering {
        Fd socket;
        ByteQueue out;
        VsockClock::time_point deadline;
    };

    // vsock_worker.cpp: the loop and the queues.
    bool setup_epoll();
    bool watch(int fd, uint64_t token, uint32_t events);
    bool dispatch(const epoll_event& event);
    bool pump();
    bool process_tx();
    bool process_rx();
    bool forward_host_data();
    bool process_event_queue();
    bool take_rx_chain();
    void complete_rx(uint32_t len);
    bool write_control(const Control& control);
    vsock::Header make_header(VsockConnection* c, uint32_t local_port, uint32_t peer_port,
                              uint16_t op, uint32_t flags, uint32_t len);
    void signal_guest();
    void queue_failed(const char* which);
    // Makes sure the loop wakes up by `when`.
    void arm_deadline(VsockClock::time_point when);
    int next_timeout_ms() const;
    void transport_reset();
    void close_connections();

    // vsock_guest.cpp: packets from the guest, and the connection table.
    void on_tx_packet(const DescriptorChain& chain);
    void on_unknown_connection(const vsock::Header& h);
    void on_known_connection(VsockConnection& c, const vsock::Header& h,
                             const DescriptorChain& chain);
    void on_guest_data(VsockConnection& c, const vsock::Header& h, const DescriptorChain& chain);
    void on_guest_shutdown(VsockConnection& c, uint32_t flags);
    void open_guest_connection(const vsock::Header& h);
    VsockConnection* find(uint64_t key);
    VsockConnection& add_connection(Fd socket, uint64_t token, uint32_t local_port,
                                    uint32_t peer_port);
    // Sends RST to the guest and closes the host socket.
    void reset_connection(VsockConnection& c);
    // Forgets the connection; with `linger`, buffered guest bytes still reach the host.
    void remove_connection(VsockConnection& c, bool linger);
    void queue_control(uint32_t local_port, uint32_t peer_port, uint16_t op, uint32_t flags,
                       uint64_t token);
    void queue_shutdown(VsockConnection& c, uint32_t flags);
    void queue_credit_update(VsockConnection& c);
    std::optional<uint32_t> allocate_local_port(uint32_t peer_port);
    bool at_connection_limit() const;
    void drop(const char* why);

    // vsock_host.cpp: the host sockets.
    void accept_host_clients();
    void on_pending_event(uint64_t token);
    void on_connection_event(VsockConnection& c, uint32_t events);
    // false when the connection is gone (reset).
    bool flush_to_host(VsockConnection& c);
    void after_forward(VsockConnection& c);
    bool read_host_into_chain(VsockConnection& c);
    bool discard_host_data(VsockConnection& c);
    void host_eof(VsockConnection& c);
    void on_lingering_event(uint64_t token);

    const VsockWorkerSetup& m_setup;
    const GuestMemory& m_mem;
    Queue* m_rx;
    Queue* m_tx;
    Queue* m_event;
    VsockStats& m_stats;
    Fd m_epoll;
    bool m_broken{false};
    std::optional<VsockClock::time_point> m_next_deadline;

    std::unordered_map<uint64_t, std::unique_ptr<VsockConnection>> m_connections; // by key
    std::unordered_map<uint64_t, uint64_t> m_token_keys; // connection token -> key
    std::unordered_map<uint64_t, Pending> m_pending;     // by token
    std::unordered_map<uint64_t, Lingering> m_lingering; // by token
    uint64_t m_next_token;
    uint32_t m_next_local_port{k_first_local_port};

    std::deque<Control> m_control;
    std::optional<DescriptorChain> m_rx_chain; // popped, not used yet
    std::array<bool, 3> m_added{};             // used entries since the last interrupt
    bool m_event_pending{false};
    std::vector<uint64_t> m_keys; // scratch
    std::vector<iovec> m_iov;     // scratch
};

} // namespace hyper::virtio
