#pragma once
// Test helper: a virtio-vsock device behind a virtio-mmio transport, with a fake driver
// for its three queues that plays the guest's vsock transport (RX buffers kept stocked,
// TX packets built from headers, per-connection credit as a guest would keep it), and
// host-side Unix socket helpers. Every wait is bounded.
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "devices/virtio/mmio.hpp"
#include "devices/virtio/testing/block_rig.hpp"
#include "devices/virtio/testing/fake_driver.hpp"
#include "devices/virtio/vsock.hpp"
#include "devices/virtio/vsock_test_host.hpp"

namespace hyper::virtio::testing {

constexpr uint64_t k_test_guest_cid = 3;
using namespace std::chrono_literals;

struct VsockPacket {
    vsock::Header hdr;
    std::vector<uint8_t> payload;
    std::string text() const { return std::string(payload.begin(), payload.end()); }
};

// The guest's view of one connection.
struct GuestConn {
    uint32_t buf_alloc{256 * 1024};
    uint32_t fwd_cnt{0}; // bytes "the application" consumed
    uint32_t rx_cnt{0};  // RW bytes received
    uint32_t tx_cnt{0};  // RW bytes sent
    uint32_t peer_buf_alloc{0};
    uint32_t peer_fwd_cnt{0};
    bool auto_consume{true};
    std::vector<uint8_t> data; // every RW payload, in order
    uint32_t peer_credit() const {
        uint32_t used = tx_cnt - peer_fwd_cnt;
        return used >= peer_buf_alloc ? 0 : peer_buf_alloc - used;
    }
};

class VsockRig {
  public:
    static constexpr uint16_t k_ring = 256;
    static constexpr uint64_t k_rings[3] = {0x10000, 0x20000, 0x30000};
    static constexpr uint64_t k_rx_buffers = 0x100000;
    static constexpr uint64_t k_rx_slot = 0x2000;
    static constexpr uint32_t k_rx_buffer_size = 4096 + 44;
    static constexpr unsigned k_rx_slots = 128;
    static constexpr uint64_t k_tx_buffer = 0x400000; // header at +0, payload at +64
    static constexpr uint64_t k_event_buffers = 0x500000;

    explicit VsockRig(std::unique_ptr<Vsock> device, bool split_rx = false)
        : mem(make_memory(8 << 20)), rx(mem, k_ring, k_rings[0]), tx(mem, k_ring, k_rings[1]),
          event(mem, k_ring, k_rings[2]), dev(device.get()), m_split_rx(split_rx) {
        transport = MmioTransport::create(std::move(device), mem,
                                          devices::IrqLine(EventFd::create().value()))
                        .value();
    }
    VsockRig(const VsockRig&) = delete;
    VsockRig& operator=(const VsockRig&) = delete;

    // Negotiates every offered feature, sets up all three queues, starts the device and
    // posts `rx_buffers` RX buffers and 4 event buffers.
    uint32_t bring_up(unsigned rx_buffers = 64) {
        MmioTransport& t = *transport;
        mmio_write(t, 0x70, 0);
        mmio_write(t, 0x70, k_status_acknowledge | k_status_driver);
        uint64_t features = 0;
        for (uint32_t sel = 0; sel < 2; sel++) {
            mmio_write(t, 0x14, sel);
            features |= uint64_t{mmio_read(t, 0x10)} << (32 * sel);
        }
        for (uint32_t sel = 0; sel < 2; sel++) {
            mmio_write(t, 0x24, sel);
            mmio_write(t, 0x20, static_cast<uint32_t>(features >> (32 * sel)));
        }
        uint32_t status = k_status_acknowledge | k_status_driver | k_status_features_ok;
        mmio_write(t, 0x70, status);
        FakeDriver* drivers[] = {&rx, &tx, &event};
        for (uint32_t q = 0; q < 3; q++) {
            const FakeDriver& d = *drivers[q];
            mmio_write(t, 0x30, q);
            mmio_write(t, 0x38, d.size());
            mmio_write(t, 0x80, static_cast<uint32_t>(d.desc_addr()));
            mmio_write(t, 0x90, static_cast<uint32_t>(d.avail_addr()));
            mmio_write(t, 0xa0, static_cast<uint32_t>(d.used_addr()));
            mmio_write(t, 0x44, 1);
        }
        mmio_write(t, 0x70, status | k_status_driver_ok);
        for (unsigned i = 0; i < 4; i++) {
            Buffer b{k_event_buffers + 16 * i, 4, true};
            event.add_chain(std::span(&b, 1));
        }
        post_rx(rx_buffers);
        return mmio_read(t, 0x70);
    }
    // Status 0 (the device closes every connection), fresh rings, bring-up again.
    uint32_t restart(unsigned rx_buffers = 64) {
        mmio_write(*transport, 0x70, 0);
        std::vector<uint8_t> zeros(k_rings[2] + 0x10000 - k_rings[0]);
        (void)mem.write(GuestAddress(k_rings[0]), zeros);
        rx = FakeDriver(mem, k_ring, k_rings[0]);
        tx = FakeDriver(mem, k_ring, k_rings[1]);
        event = FakeDriver(mem, k_ring, k_rings[2]);
        m_rx_seen = 0;
        m_rx_heads.clear();
        m_conns.clear();
        inbox.clear();
        return bring_up(rx_buffers);
    }
    void notify(uint32_t queue) {
        mmio_write(*transport, MmioTransport::k_queue_notify_offset, queue);
    }

    // --- RX: buffers in, packets out.
    void post_rx(unsigned count) {
        for (unsigned i = 0; i < count; i++) {
            uint64_t addr = k_rx_buffers + k_rx_slot * (m_rx_next_slot++ % k_rx_slots);
            uint16_t head;
            if (m_split_rx) { // header and payload in separate descriptors
                Buffer b[] = {{addr, 44, true}, {addr + 44, k_rx_buffer_size - 44, true}};
                head = rx.add_chain(b);
            } else {
                Buffer b{addr, k_rx_buffer_size, true};
                head = rx.add_chain(std::span(&b, 1));
            }
            m_rx_heads[head] = addr;
        }
        if (count)
            notify(vsock::k_queue_rx);
    }
    // A hand-built RX chain; its used entry is parsed like any other.
    void post_raw_rx(std::span<const Buffer> bufs) {
        m_rx_heads[rx.add_chain(bufs)] = bufs.front().addr;
        notify(vsock::k_queue_rx);
    }
    // Parses every new RX used entry into `inbox`, reposting each buffer.
    void poll_rx() {
        unsigned reposts = 0;
        for (uint16_t idx = rx.used_idx(); m_rx_seen != idx; m_rx_seen++) {
            UsedElem e = rx.used(m_rx_seen);
            uint64_t addr = m_rx_heads.at(static_cast<uint16_t>(e.id));
            m_rx_heads.erase(static_cast<uint16_t>(e.id));
            reposts++;
            if (e.len < 44) {
                bad_rx++;
                continue;
            }
            VsockPacket p;
            p.hdr = mem.read_obj<vsock::Header>(GuestAddress(addr)).value();
            p.payload.resize(e.len - 44);
            if (!p.payload.empty()) // (GuestMemory passes empty spans' null data to memcpy)
                (void)mem.read(GuestAddress(addr + 44), p.payload);
            if (p.hdr.len != e.len - 44 || p.hdr.src_cid != vsock::k_host_cid ||
                p.hdr.dst_cid != k_test_guest_cid)
                bad_rx++;
            GuestConn& g = conn(p.hdr.dst_port, p.hdr.src_port);
            g.peer_buf_alloc = p.hdr.buf_alloc;
            g.peer_fwd_cnt = p.hdr.fwd_cnt;
            if (p.hdr.op == vsock::k_op_rw) {
                g.rx_cnt += p.hdr.len;
                g.data.insert(g.data.end(), p.payload.begin(), p.payload.end());
                if (g.auto_consume)
                    g.fwd_cnt += p.hdr.len;
            }
            inbox.push_back(std::move(p));
        }
        if (m_auto_refill)
            post_rx(reposts);
    }
    void set_auto_refill(bool on) { m_auto_refill = on; }
    // The first packet (oldest first) that `match` accepts, within `timeout`.
    std::optional<VsockPacket> wait_packet(std::function<bool(const VsockPacket&)> match,
                                           std::chrono::milliseconds timeout = 5s) {
        auto end = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            poll_rx();
            for (auto it = inbox.begin(); it != inbox.end(); ++it) {
                if (match(*it)) {
                    VsockPacket p = std::move(*it);
                    inbox.erase(it);
                    return p;
                }
            }
            if (std::chrono::steady_clock::now() > end)
                return std::nullopt;
            std::this_thread::sleep_for(200us);
        }
    }
    std::optional<VsockPacket> wait_op(uint16_t op, uint32_t guest_port,
                                       std::chrono::milliseconds timeout = 5s) {
        return wait_packet(
            [&](const VsockPacket& p) { return p.hdr.op == op && p.hdr.dst_port == guest_port; },
            timeout);
    }
    // Waits until `bytes` RW bytes arrived for the connection (or the timeout).
    bool wait_data(uint32_t guest_port, uint32_t host_port, size_t bytes,
                   std::chrono::milliseconds timeout = 5s) {
        return wait_until(
            [&] {
                poll_rx();
                return conn(guest_port, host_port).data.size() >= bytes;
            },
            timeout);
    }

    // --- TX.
    vsock::Header header(uint16_t op, uint32_t guest_port, uint32_t host_port, uint32_t len = 0,
                         uint32_t flags = 0) {
        GuestConn& g = conn(guest_port, host_port);
        vsock::Header h{};
        h.src_cid = k_test_guest_cid;
        h.dst_cid = vsock::k_host_cid;
        h.src_port = guest_port;
        h.dst_port = host_port;
        h.len = len;
        h.type = vsock::k_type_stream;
        h.op = op;
        h.flags = flags;
        h.buf_alloc = g.buf_alloc;
        h.fwd_cnt = g.fwd_cnt;
        return h;
    }
    // Sends raw buffers as one chain and waits until the device has used it.
    bool send_chain(std::span<const Buffer> bufs) {
        tx.add_chain(bufs);
        notify(vsock::k_queue_tx);
        uint16_t want = tx.avail_idx();
        return wait_until([&] {
            poll_rx(); // keeps RX stocked: replies never block the TX queue
            return tx.used_idx() == want;
        });
    }
    bool send(const vsock::Header& h, std::span<const uint8_t> payload = {}) {
        (void)mem.write_obj(GuestAddress(k_tx_buffer), h);
        if (!payload.empty())
            (void)mem.write(GuestAddress(k_tx_buffer + 64), payload);
        Buffer b[] = {{k_tx_buffer, 44, false},
                      {k_tx_buffer + 64, static_cast<uint32_t>(payload.size()), false}};
        return send_chain(std::span(b, payload.empty() ? 1 : 2));
    }
    bool send_op(uint16_t op, uint32_t guest_port, uint32_t host_port, uint32_t flags = 0) {
        return send(header(op, guest_port, host_port, 0, flags));
    }
    // Guest-initiated connect: REQUEST, then the device's RESPONSE (or RST).
    std::optional<VsockPacket> connect(uint32_t guest_port, uint32_t host_port) {
        if (!send_op(vsock::k_op_request, guest_port, host_port))
            return std::nullopt;
        return wait_packet([&](const VsockPacket& p) {
            return p.hdr.dst_port == guest_port && p.hdr.src_port == host_port &&
                   (p.hdr.op == vsock::k_op_response || p.hdr.op == vsock::k_op_rst);
        });
    }
    // Sends `data` as RW packets, never beyond the device's credit (waits for updates).
    bool write(uint32_t guest_port, uint32_t host_port, std::span<const uint8_t> data,
               size_t chunk = 16 * 1024) {
        while (!data.empty()) {
            GuestConn& g = conn(guest_port, host_port);
            if (!wait_until([&] {
                    poll_rx();
                    return g.peer_credit() > 0;
                }))
                return false;
            size_t n = std::min({data.size(), chunk, size_t{g.peer_credit()}});
            if (!send(header(vsock::k_op_rw, guest_port, host_port, static_cast<uint32_t>(n)),
                      data.first(n)))
                return false;
            g.tx_cnt += static_cast<uint32_t>(n);
            data = data.subspan(n);
        }
        return true;
    }
    bool write(uint32_t guest_port, uint32_t host_port, const std::string& s) {
        return write(guest_port, host_port, to_bytes(s));
    }

    GuestConn& conn(uint32_t guest_port, uint32_t host_port) {
        return m_conns[(uint64_t{guest_port} << 32) | host_port];
    }
    std::string received_text(uint32_t guest_port, uint32_t host_port) {
        auto& d = conn(guest_port, host_port).data;
        return std::string(d.begin(), d.end());
    }
    uint16_t events_used() const { return event.used_idx(); }

    GuestMemory mem;
    FakeDriver rx, tx, event;
    Vsock* dev;
    std::shared_ptr<MmioTransport> transport;
    std::deque<VsockPacket> inbox;
    unsigned bad_rx{0}; // RX entries whose used length or addresses were wrong

  private:
    bool m_split_rx;
    bool m_auto_refill{true};
    unsigned m_rx_next_slot{0};
    uint16_t m_rx_seen{0};
    std::map<uint16_t, uint64_t> m_rx_heads; // outstanding RX chains: head -> buffer
    std::map<uint64_t, GuestConn> m_conns;
};

constexpr uint32_t k_vsock_running =
    k_status_acknowledge | k_status_driver | k_status_features_ok | k_status_driver_ok;

// `n` bytes of a pattern that differs with `seed`.
inline std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; i++)
        v[i] = static_cast<uint8_t>(i * 7 + seed + i / 251);
    return v;
}

// A host-initiated connection to `guest_port` through `uds`, accepted by the fake guest:
// the host socket, or an invalid Fd when any step failed. `local_port` gets the port the
// device chose (at least 2^30).
inline Fd host_initiated(VsockRig& r, const std::string& uds, uint32_t guest_port,
                         uint32_t& local_port, const std::string& first_bytes = "") {
    Fd host = host_connect(uds);
    if (!host.valid() ||
        !write_all(host.get(), "CONNECT " + std::to_string(guest_port) + "\n" + first_bytes))
        return Fd();
    auto req = r.wait_op(vsock::k_op_request, guest_port);
    if (!req || req->hdr.src_port < (1u << 30) || req->hdr.type != vsock::k_type_stream ||
        req->hdr.buf_alloc != HostCredit::k_buf_alloc)
        return Fd();
    local_port = req->hdr.src_port;
    if (!r.send_op(vsock::k_op_response, guest_port, local_port) ||
        read_line(host.get()) != "OK " + std::to_string(local_port) + "\n")
        return Fd();
    return host;
}

// A temporary directory with a device listening on "<dir>/v.sock".
struct VsockFixture {
    explicit VsockFixture(bool split_rx = false) {
        uds = dir.file("v.sock");
        auto dev = Vsock::create({k_test_guest_cid, uds});
        if (dev)
            rig.emplace(std::move(*dev), split_rx);
    }
    TempDir dir;
    std::string uds;
    std::optional<VsockRig> rig;
};

} // namespace hyper::virtio::testing
