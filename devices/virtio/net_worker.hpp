#pragma once
// The I/O thread of one virtio-net device: one epoll over the stop eventfd, the two
// queue notify eventfds and the packet endpoint (the TAP).
//
// TX: every available chain (12-byte header + frame, device-readable only) becomes one
// writev() straight from guest memory. When the endpoint says EAGAIN the chain is kept
// and the thread waits for EPOLLOUT.
//
// RX: the thread holds popped receive chains and reads each packet straight into them
// (readv) once they can take the largest packet (65562 bytes): with MRG_RXBUF across
// several chains (num_buffers in the header says how many), without it into one. While
// the guest offers less than that, a packet is read into one preallocated bounce buffer
// and copied once the chains can take it. No buffers, or a bounced packet that does not
// fit yet: the thread stops polling the endpoint for input and waits for an RX notify
// (asked for with Queue::enable_notification, so none is lost); a packet read is never
// dropped for lack of buffers, only when the guest's buffers can never hold it.
//
// Each pass handles a batch on each queue, then raises at most one interrupt, as
// EVENT_IDX allows. Chains that break the rules are completed with length 0 and counted;
// a broken ring stops the thread's use of both queues and asks for NEEDS_RESET. Nothing
// is allocated per packet (the queue's pop() aside).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <sys/uio.h>
#include <vector>

#include "base/event_fd.hpp"
#include "base/fd.hpp"
#include "base/guest_memory.hpp"
#include "devices/virtio/net_endpoint.hpp"
#include "devices/virtio/queue.hpp"

namespace hyper::virtio {

// Counted by the I/O thread, read by anyone.
struct NetStats {
    std::atomic<uint64_t> rx_frames{0};
    std::atomic<uint64_t> rx_bytes{0};      // frame bytes, headers not counted
    std::atomic<uint64_t> rx_dropped{0};    // too big for the guest's buffers, or read errors
    std::atomic<uint64_t> rx_bad_chains{0}; // malformed receive chains, completed empty
    std::atomic<uint64_t> tx_frames{0};
    std::atomic<uint64_t> tx_bytes{0};
    std::atomic<uint64_t> tx_dropped{0};    // refused by the endpoint
    std::atomic<uint64_t> tx_bad_chains{0}; // malformed transmit chains, not sent
    std::atomic<uint64_t> rx_waits{0};      // times packets waited for receive buffers
    std::atomic<uint64_t> tx_waits{0};      // times a packet waited for the endpoint
    std::atomic<uint64_t> interrupts{0};    // used-buffer notifications sent
};

struct NetWorkerSetup {
    const GuestMemory* memory;
    Queue* rx;
    Queue* tx;
    const EventFd* rx_notify;
    const EventFd* tx_notify;
    const EventFd* stop;
    PacketEndpoint* endpoint;
    bool mergeable;  // VIRTIO_NET_F_MRG_RXBUF negotiated
    bool guest_csum; // VIRTIO_NET_F_GUEST_CSUM negotiated: header flags pass through
    NetStats* stats;
    std::function<void()> signal_used;
    std::function<void()> needs_reset;
};

class NetWorker {
  public:
    // Allocates everything the thread needs; the queues must be ready.
    static Result<std::unique_ptr<NetWorker>> create(NetWorkerSetup setup);
    // The thread body; returns once `stop` is signalled (or epoll fails).
    void run();
    // One turn of run(): a batch on each queue, at most one interrupt, then a wait of at
    // most `max_wait_ms` (-1: until something happens) and what woke it. false once
    // `stop` is signalled (or epoll failed). The fuzz target drives the worker with it.
    bool step(int max_wait_ms);

  private:
    explicit NetWorker(NetWorkerSetup setup);
    static constexpr size_t k_max_iov = 1024; // IOV_MAX
    static constexpr unsigned k_batch = 256;  // packets per queue per pass

    // An RX chain held by the device, its buffers in m_rx_iov/m_rx_desc in order.
    struct RxChain {
        uint16_t head;
        uint32_t iov_count;
        uint64_t capacity;
    };

    void on_endpoint_event(uint32_t events);
    void update_interest();
    void broken(const char* queue);
    // --- TX (net_worker.cpp). Both return true when they stopped at the batch limit.
    bool process_tx();
    bool prepare_tx(const DescriptorChain& chain);
    bool send_tx(); // false: EAGAIN, the chain stays held
    void complete_tx(uint16_t head);
    // --- RX (net_rx.cpp).
    bool process_rx();
    bool deliver_pending();
    bool refill(uint64_t want);
    bool hold(const DescriptorChain& chain);
    bool stall(); // false when buffers arrived meanwhile: try again
    uint64_t direct_capacity(size_t& iov_count) const;
    void read_direct(uint64_t capacity, size_t iov_count);
    void read_bounce();
    void finish_frame(uint32_t len);
    void write_header_field(uint32_t offset, const void* data, uint32_t size);
    bool copy_to_chains(uint32_t len);
    void drop_rx(const char* why);

    NetWorkerSetup m_s;
    const GuestMemory& m_mem;
    Fd m_epoll;
    uint32_t m_interest{0};
    bool m_broken{false};
    bool m_endpoint_gone{false};

    std::vector<iovec> m_tx_iov;
    uint16_t m_tx_head{0};
    uint32_t m_tx_len{0};
    bool m_tx_blocked{false}; // m_tx_iov/m_tx_head wait for EPOLLOUT
    bool m_tx_added{false};
    bool m_tx_drained{false}; // this pass found the transmit queue empty

    std::vector<RxChain> m_rx_chains;
    std::vector<iovec> m_rx_iov;
    std::vector<Descriptor> m_rx_desc;
    uint64_t m_rx_capacity{0};
    std::vector<uint8_t> m_bounce;
    uint32_t m_pending{0};    // bytes of a packet waiting in m_bounce
    bool m_readable{true};    // the endpoint may have a packet
    bool m_rx_stalled{false}; // waiting for an RX notify
    bool m_rx_added{false};
};

} // namespace hyper::virtio
