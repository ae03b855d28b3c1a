// The host's side of the vsock worker: the listening socket, "CONNECT <port>" handshakes,
// and moving bytes between host sockets and the guest.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

#include "base/log.hpp"
#include "devices/virtio/vsock_packet.hpp"
#include "devices/virtio/vsock_socket.hpp"
#include "devices/virtio/vsock_worker.hpp"

namespace hyper::virtio {

namespace {

constexpr uint32_t k_socket_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
constexpr size_t k_discard_chunk = 16 * 1024;

bool hung_up(int fd) {
    pollfd p{fd, 0, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

// POLLHUP means both directions are shut: the host closed its socket, unless the write
// side is shut because we passed the guest's SHUTDOWN SEND on.
bool host_closed(const VsockConnection& c) {
    return c.host_hup && !c.host_write_shut;
}

} // namespace

void VsockWorker::accept_host_clients() {
    for (;;) {
        Fd socket(::accept4(m_setup.listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!socket.valid()) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                LOG_WARN("virtio-vsock: accept on %s: %s", m_setup.uds_path.c_str(),
                         std::strerror(errno));
            return;
        }
        if (m_broken || m_pending.size() >= k_max_pending || at_connection_limit()) {
            LOG_WARN("virtio-vsock: too many host connections: one refused");
            continue; // closed
        }
        uint64_t token = m_next_token++;
        if (!watch(socket.get(), token, k_socket_events))
            continue;
        auto deadline = VsockClock::now() + k_handshake_timeout;
        m_pending.emplace(token, Pending{std::move(socket), deadline});
        arm_deadline(deadline);
        on_pending_event(token); // the line may be there already
    }
}

void VsockWorker::on_pending_event(uint64_t token) {
    auto it = m_pending.find(token);
    if (it == m_pending.end())
        return;
    int fd = it->second.socket.get();
    char line[k_vsock_connect_line_max];
    // Peek: bytes after the "\n" belong to the stream and must stay in the socket.
    ssize_t n;
    do {
        n = ::recv(fd, line, sizeof line, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        m_pending.erase(it); // closed (or broken) before a whole line
        return;
    }
    auto* newline = static_cast<char*>(std::memchr(line, '\n', static_cast<size_t>(n)));
    if (!newline) {
        if (static_cast<size_t>(n) == sizeof line) {
            LOG_DEBUG("virtio-vsock: host sent an overlong line instead of CONNECT");
            m_pending.erase(it);
        }
        return; // wait for the rest of the line
    }
    auto length = static_cast<size_t>(newline - line);
    auto port = parse_connect_line(std::string_view(line, length));
    if (!port || ::recv(fd, line, length + 1, MSG_DONTWAIT) != static_cast<ssize_t>(length + 1)) {
        LOG_DEBUG("virtio-vsock: host sent a bad CONNECT line");
        m_pending.erase(it);
        return;
    }
    auto local_port = allocate_local_port(*port);
    if (!local_port || m_connections.size() >= k_max_connections) {
        m_pending.erase(it);
        return;
    }
    Fd socket = std::move(it->second.socket);
    m_pending.erase(it);
    VsockConnection& c = add_connection(std::move(socket), token, *local_port, *port);
    c.deadline = VsockClock::now() + k_request_timeout;
    arm_deadline(*c.deadline);
    queue_control(c.local_port, c.peer_port, vsock::k_op_request, 0, c.token);
}

void VsockWorker::on_connection_event(VsockConnection& c, uint32_t events) {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        c.readable = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        c.writable = true;
    if (events & EPOLLHUP)
        c.host_hup = true;
    if (!c.established) {
        if (events & (EPOLLHUP | EPOLLERR))
            reset_connection(c); // the host gave up before the guest answered
        return;
    }
    bool shut_pending = (c.guest_shutdown & vsock::k_shutdown_send) && !c.host_write_shut;
    if (c.writable && (!c.out.empty() || shut_pending) && !flush_to_host(c))
        return;
    if (host_closed(c) && c.host_eof && !c.full_shutdown_sent)
        queue_shutdown(c, vsock::k_shutdown_both);
}

bool VsockWorker::flush_to_host(VsockConnection& c) {
    while (!c.out.empty()) {
        auto data = c.out.front();
        iovec iov{const_cast<uint8_t*>(data.data()), data.size()};
        IoResult r = send_iov(c.socket.get(), &iov, 1);
        if (r.status == IoStatus::Failed) {
            reset_connection(c); // the host peer is gone
            return false;
        }
        if (r.status == IoStatus::WouldBlock) {
            c.writable = false;
            break;
        }
        size_t preamble = std::min(r.bytes, c.preamble);
        c.preamble -= preamble;
        c.from_guest.forwarded(static_cast<uint32_t>(r.bytes - preamble));
        c.out.consume(r.bytes);
    }
    if (c.out.empty() && (c.guest_shutdown & vsock::k_shutdown_send) && !c.host_write_shut) {
        ::shutdown(c.socket.get(), SHUT_WR); // the guest's half-close, passed on
        c.host_write_shut = true;
    }
    after_forward(c);
    return true;
}

void VsockWorker::after_forward(VsockConnection& c) {
    if (c.from_guest.update_due())
        queue_credit_update(c);
}

bool VsockWorker::read_host_into_chain(VsockConnection& c) {
    const DescriptorChain& chain = *m_rx_chain;
    uint64_t want = std::min<uint64_t>({chain.writable_bytes() - k_vsock_header_size,
                                        c.to_guest.available(), k_vsock_max_payload});
    m_iov.clear();
    if (want == 0 || !chain_iovecs(chain, m_mem, true, k_vsock_header_size, want, m_iov))
        return false;
    IoResult r = read_iov(c.socket.get(), m_iov.data(), m_iov.size());
    switch (r.status) {
    case IoStatus::Done: {
        auto n = static_cast<uint32_t>(r.bytes);
        vsock::Header h = make_header(&c, c.local_port, c.peer_port, vsock::k_op_rw, 0, n);
        if (!chain_write(chain, m_mem, 0,
                         std::span(reinterpret_cast<const uint8_t*>(&h), sizeof h))) {
            complete_rx(0);
            reset_connection(c);
            return true;
        }
        c.to_guest.sent(n);
        complete_rx(static_cast<uint32_t>(k_vsock_header_size) + n);
        return true;
    }
    case IoStatus::WouldBlock: c.readable = false; return false;
    case IoStatus::Eof: host_eof(c); return true;
    case IoStatus::Failed: reset_connection(c); return true;
    }
    return false;
}

bool VsockWorker::discard_host_data(VsockConnection& c) {
    // The guest shut its receive side: nobody wants these bytes, but the EOF matters.
    uint8_t sink[k_discard_chunk];
    iovec iov{sink, sizeof sink};
    IoResult r = read_iov(c.socket.get(), &iov, 1);
    switch (r.status) {
    case IoStatus::Done: return true;
    case IoStatus::WouldBlock: c.readable = false; return false;
    case IoStatus::Eof: host_eof(c); return true;
    case IoStatus::Failed: reset_connection(c); return true;
    }
    return false;
}

void VsockWorker::host_eof(VsockConnection& c) {
    // shutdown(SHUT_WR) on the host maps to SHUTDOWN SEND; a closed socket to both.
    c.host_eof = true;
    c.readable = false;
    if (!c.host_hup && hung_up(c.socket.get()))
        c.host_hup = true;
    queue_shutdown(c, host_closed(c) ? vsock::k_shutdown_both : vsock::k_shutdown_send);
}

void VsockWorker::on_lingering_event(uint64_t token) {
    auto it = m_lingering.find(token);
    if (it == m_lingering.end())
        return;
    Lingering& l = it->second;
    while (!l.out.empty()) {
        auto data = l.out.front();
        iovec iov{const_cast<uint8_t*>(data.data()), data.size()};
        IoResult r = send_iov(l.socket.get(), &iov, 1);
        if (r.status == IoStatus::WouldBlock)
            return;
        if (r.status == IoStatus::Failed)
            break;
        l.out.consume(r.bytes);
    }
    m_lingering.erase(it); // delivered (or undeliverable): the host now sees the close
}

} // namespace hyper::virtio
