// The guest's side of the vsock worker: TX packets and the connection table.
#include <cstring>

#include "base/log.hpp"
#include "devices/virtio/vsock_packet.hpp"
#include "devices/virtio/vsock_socket.hpp"
#include "devices/virtio/vsock_worker.hpp"

namespace hyper::virtio {

void VsockWorker::drop(const char* why) {
    m_stats.dropped_packets.fetch_add(1, std::memory_order_relaxed);
    LOG_DEBUG("virtio-vsock: dropped a packet: %s", why);
}

void VsockWorker::on_tx_packet(const DescriptorChain& chain) {
    TxPacket packet = parse_tx_packet(chain, m_mem, m_setup.guest_cid);
    const vsock::Header& h = packet.header;
    switch (packet.refusal) {
    case TxRefusal::None: break;
    case TxRefusal::ShortHeader: drop("short header"); return;
    case TxRefusal::BadAddress: drop("wrong source or destination CID"); return;
    case TxRefusal::BadLength: drop("length does not match the buffer"); break;
    }
    // Our local port is the guest's destination, the guest's port its source.
    VsockConnection* c = find(vsock_key(h.dst_port, h.src_port));
    bool refuse = packet.refusal != TxRefusal::None;
    if (!refuse && h.type != vsock::k_type_stream) {
        drop("not a stream packet");
        refuse = true;
    }
    if (refuse) {
        // A stream cannot skip bytes: whatever the packet meant, the connection is over.
        if (c)
            reset_connection(*c);
        else if (h.op != vsock::k_op_rst)
            queue_control(h.dst_port, h.src_port, vsock::k_op_rst, 0, 0);
        return;
    }
    if (c)
        on_known_connection(*c, h, chain);
    else
        on_unknown_connection(h);
}

void VsockWorker::on_unknown_connection(const vsock::Header& h) {
    switch (h.op) {
    case vsock::k_op_request: open_guest_connection(h); return;
    case vsock::k_op_rst: return; // nothing left to reset
    default:
        drop("no such connection");
        queue_control(h.dst_port, h.src_port, vsock::k_op_rst, 0, 0);
        return;
    }
}

void VsockWorker::open_guest_connection(const vsock::Header& h) {
    if (at_connection_limit()) {
        LOG_WARN("virtio-vsock: %zu connections open: refusing guest port %u",
                 size_t{k_max_connections}, h.src_port);
        queue_control(h.dst_port, h.src_port, vsock::k_op_rst, 0, 0);
        return;
    }
    std::string path = m_setup.uds_path + "_" + std::to_string(h.dst_port);
    auto socket = connect_unix(path);
    uint64_t token = m_next_token++;
    if (!socket || !watch(socket->get(), token, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)) {
        LOG_DEBUG("virtio-vsock: guest connection to port %u refused: %s", h.dst_port,
                  socket ? std::strerror(errno) : socket.error().to_string().c_str());
        queue_control(h.dst_port, h.src_port, vsock::k_op_rst, 0, 0);
        return;
    }
    VsockConnection& c = add_connection(std::move(*socket), token, h.dst_port, h.src_port);
    c.established = true;
    c.to_guest.init(h.buf_alloc, h.fwd_cnt);
    queue_control(c.local_port, c.peer_port, vsock::k_op_response, 0, c.token);
}

void VsockWorker::on_known_connection(VsockConnection& c, const vsock::Header& h,
                                      const DescriptorChain& chain) {
    switch (h.op) {
    case vsock::k_op_rst: remove_connection(c, false); return; // the guest gave up
    case vsock::k_op_request:
        drop("request for an open connection");
        reset_connection(c);
        return;
    case vsock::k_op_response: {
        if (c.established) {
            drop("response on an established connection");
            reset_connection(c);
            return;
        }
        // The guest accepted a host-initiated connection: tell the host which port it got.
        c.established = true;
        c.deadline.reset();
        c.to_guest.init(h.buf_alloc, h.fwd_cnt);
        std::string ok = "OK " + std::to_string(c.local_port) + "\n";
        std::memcpy(c.out.grow(ok.size()).data(), ok.data(), ok.size());
        c.preamble += ok.size();
        flush_to_host(c);
        return;
    }
    default: break;
    }
    if (!c.established) {
        drop("packet before the response");
        reset_connection(c);
        return;
    }
    if (!c.to_guest.update(h.buf_alloc, h.fwd_cnt)) {
        m_stats.credit_violations.fetch_add(1, std::memory_order_relaxed);
        LOG_DEBUG("virtio-vsock: port %u: fwd_cnt %u is impossible, resetting", c.local_port,
                  h.fwd_cnt);
        reset_connection(c);
        return;
    }
    switch (h.op) {
    case vsock::k_op_rw: on_guest_data(c, h, chain); return;
    case vsock::k_op_credit_update: return; // the update above was all of it
    case vsock::k_op_credit_request: queue_credit_update(c); return;
    case vsock::k_op_shutdown: on_guest_shutdown(c, h.flags); return;
    default:
        drop("unknown operation");
        reset_connection(c);
        return;
    }
}

void VsockWorker::on_guest_data(VsockConnection& c, const vsock::Header& h,
                                const DescriptorChain& chain) {
    if (h.len == 0)
        return;
    if (c.guest_shutdown & vsock::k_shutdown_send) {
        drop("data after SHUTDOWN SEND");
        reset_connection(c);
        return;
    }
    if (!c.from_guest.accept(h.len)) {
        m_stats.credit_violations.fetch_add(1, std::memory_order_relaxed);
        LOG_DEBUG("virtio-vsock: port %u: the guest sent beyond its credit, resetting",
                  c.local_port);
        reset_connection(c);
        return;
    }
    size_t sent = 0;
    if (c.out.empty() && c.writable) {
        // Straight from guest memory to the host socket; the rest waits in `out`.
        m_iov.clear();
        if (!chain_iovecs(chain, m_mem, false, k_vsock_header_size, h.len, m_iov)) {
            reset_connection(c);
            return;
        }
        IoResult r = send_iov(c.socket.get(), m_iov.data(), m_iov.size());
        if (r.status == IoStatus::Failed) {
            reset_connection(c); // the host peer is gone
            return;
        }
        if (r.status == IoStatus::WouldBlock)
            c.writable = false;
        sent = r.bytes;
        c.from_guest.forwarded(static_cast<uint32_t>(sent));
    }
    if (sent < h.len &&
        !chain_read(chain, m_mem, k_vsock_header_size + sent, c.out.grow(h.len - sent))) {
        reset_connection(c);
        return;
    }
    after_forward(c);
}

void VsockWorker::on_guest_shutdown(VsockConnection& c, uint32_t flags) {
    c.guest_shutdown |= flags & vsock::k_shutdown_both;
    if (c.guest_shutdown == vsock::k_shutdown_both) {
        // The guest closes its socket and waits for our RST (as vhost-vsock answers);
        // what it sent before still reaches the host, then the host sees the close.
        queue_control(c.local_port, c.peer_port, vsock::k_op_rst, 0, 0);
        remove_connection(c, true);
        return;
    }
    if (c.guest_shutdown & vsock::k_shutdown_send)
        flush_to_host(c); // shuts the host socket's write side once the buffer is empty
}

VsockConnection* VsockWorker::find(uint64_t key) {
    auto it = m_connections.find(key);
    return it == m_connections.end() ? nullptr : it->second.get();
}

bool VsockWorker::at_connection_limit() const {
    return m_connections.size() + m_lingering.size() >= k_max_connections;
}

VsockConnection& VsockWorker::add_connection(Fd socket, uint64_t token, uint32_t local_port,
                                             uint32_t peer_port) {
    uint64_t key = vsock_key(local_port, peer_port);
    auto conn = std::make_unique<VsockConnection>(std::move(socket), token, local_port, peer_port);
    VsockConnection& c = *conn;
    m_connections[key] = std::move(conn);
    m_token_keys[token] = key;
    m_stats.connections.store(m_connections.size(), std::memory_order_relaxed);
    return c;
}

void VsockWorker::reset_connection(VsockConnection& c) {
    queue_control(c.local_port, c.peer_port, vsock::k_op_rst, 0, 0);
    remove_connection(c, false);
}

void VsockWorker::remove_connection(VsockConnection& c, bool linger) {
    uint64_t key = vsock_key(c.local_port, c.peer_port);
    m_token_keys.erase(c.token);
    if (linger && !c.out.empty()) {
        // Same socket, same epoll registration, same token: its events now go here.
        auto deadline = VsockClock::now() + k_linger_timeout;
        m_lingering.emplace(c.token, Lingering{std::move(c.socket), std::move(c.out), deadline});
        arm_deadline(deadline);
        uint64_t token = c.token;
        m_connections.erase(key);
        on_lingering_event(token);
    } else {
        m_connections.erase(key); // closes the socket, which leaves the epoll set
    }
    m_stats.connections.store(m_connections.size(), std::memory_order_relaxed);
}

void VsockWorker::queue_control(uint32_t local_port, uint32_t peer_port, uint16_t op,
                                uint32_t flags, uint64_t token) {
    m_control.push_back(Control{local_port, peer_port, op, flags, token});
}

void VsockWorker::queue_shutdown(VsockConnection& c, uint32_t flags) {
    if (flags == vsock::k_shutdown_both) {
        // The host closed: the guest should answer with RST; if it does not, we do.
        c.full_shutdown_sent = true;
        c.deadline = VsockClock::now() + k_close_timeout;
        arm_deadline(*c.deadline);
    }
    queue_control(c.local_port, c.peer_port, vsock::k_op_shutdown, flags, c.token);
}

void VsockWorker::queue_credit_update(VsockConnection& c) {
    if (c.credit_update_queued)
        return;
    c.credit_update_queued = true;
    queue_control(c.local_port, c.peer_port, vsock::k_op_credit_update, 0, c.token);
}

std::optional<uint32_t> VsockWorker::allocate_local_port(uint32_t peer_port) {
    for (size_t tries = 0; tries <= k_max_connections; tries++) {
        uint32_t port = m_next_local_port;
        m_next_local_port = port == UINT32_MAX ? k_first_local_port : port + 1;
        if (!m_connections.count(vsock_key(port, peer_port)))
            return port;
    }
    return std::nullopt;
}

} // namespace hyper::virtio
