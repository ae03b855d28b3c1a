#include "devices/virtio/vsock_worker.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "devices/virtio/vsock_packet.hpp"

namespace hyper::virtio {

namespace {

constexpr uint64_t k_token_stop = 1;
constexpr uint64_t k_token_reset = 2;
constexpr uint64_t k_token_listener = 3;
constexpr uint64_t k_token_notify = 4; // + queue index
constexpr uint64_t k_first_socket_token = 16;
constexpr int k_max_rounds = 16; // pump rounds before epoll gets a look in
constexpr int k_max_events = 64;

template <typename T> std::span<const uint8_t> bytes_of(const T& value) {
    return std::span(reinterpret_cast<const uint8_t*>(&value), sizeof value);
}

} // namespace

VsockWorker::VsockWorker(const VsockWorkerSetup& setup)
    : m_setup(setup), m_mem(*setup.memory), m_rx(setup.queues[vsock::k_queue_rx]),
      m_tx(setup.queues[vsock::k_queue_tx]), m_event(setup.queues[vsock::k_queue_event]),
      m_stats(*setup.stats), m_next_token(k_first_socket_token) {}

VsockWorker::~VsockWorker() {
    m_stats.connections.store(0, std::memory_order_relaxed);
}

bool VsockWorker::watch(int fd, uint64_t token, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = token;
    return ::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &event) == 0;
}

bool VsockWorker::setup_epoll() {
    m_epoll = Fd(::epoll_create1(EPOLL_CLOEXEC));
    if (!m_epoll.valid())
        return false;
    bool ok = watch(m_setup.stop->fd(), k_token_stop, EPOLLIN) &&
              watch(m_setup.reset_request->fd(), k_token_reset, EPOLLIN) &&
              watch(m_setup.listener, k_token_listener, EPOLLIN | EPOLLET);
    for (uint64_t i = 0; i < m_setup.queues.size(); i++)
        if (m_setup.queues[i])
            ok = ok && watch(m_setup.notify[i]->fd(), k_token_notify + i, EPOLLIN);
    return ok;
}

void VsockWorker::run() {
    if (!start())
        return;
    while (step(-1)) {
    }
}

bool VsockWorker::start() {
    if (!setup_epoll()) {
        LOG_ERROR("virtio-vsock: epoll: %s", std::strerror(errno));
        m_setup.needs_reset();
        return false;
    }
    accept_host_clients(); // whoever connected while the device was stopped
    return true;
}

bool VsockWorker::step(int max_wait_ms) {
    bool more = pump();
    int timeout = more ? 0 : next_timeout_ms();
    if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms))
        timeout = max_wait_ms;
    epoll_event events[k_max_events];
    int n = ::epoll_wait(m_epoll.get(), events, k_max_events, timeout);
    if (n < 0) {
        if (errno == EINTR)
            return true;
        LOG_ERROR("virtio-vsock: epoll_wait: %s", std::strerror(errno));
        m_setup.needs_reset();
        return false;
    }
    for (int i = 0; i < n; i++)
        if (!dispatch(events[i]))
            return false;
    if (m_next_deadline && VsockClock::now() >= *m_next_deadline)
        expire_deadlines(VsockClock::now());
    return true;
}

bool VsockWorker::dispatch(const epoll_event& event) {
    uint64_t token = event.data.u64;
    if (token == k_token_stop)
        return false;
    if (token == k_token_reset) {
        m_setup.reset_request->consume();
        transport_reset();
    } else if (token == k_token_listener) {
        accept_host_clients();
    } else if (token >= k_token_notify && token < k_token_notify + m_setup.notify.size()) {
        m_setup.notify[token - k_token_notify]->consume();
    } else if (auto it = m_token_keys.find(token); it != m_token_keys.end()) {
        if (VsockConnection* c = find(it->second))
            on_connection_event(*c, event.events);
    } else if (m_pending.count(token)) {
        on_pending_event(token);
    } else if (m_lingering.count(token)) {
        on_lingering_event(token);
    } // else: a socket closed earlier in this batch
    return true;
}

bool VsockWorker::pump() {
    bool more = !m_broken;
    for (int round = 0; round < k_max_rounds && more; round++) {
        bool progress = process_tx();
        progress |= process_rx();
        progress |= process_event_queue();
        more = progress && !m_broken;
    }
    if (m_broken) {
        close_connections();
        m_pending.clear();
        return false;
    }
    signal_guest();
    return more;
}

bool VsockWorker::process_tx() {
    bool progress = false;
    // Each packet queues at most a few control packets: stop while there is no room, the
    // chains wait in the ring until the guest has taken what we owe it.
    while (!m_broken && m_control.size() < k_max_control) {
        auto chain = m_tx->pop(m_mem);
        if (!chain) {
            if (m_tx->broken()) {
                queue_failed("TX");
                break;
            }
            if (m_tx->enable_notification(m_mem))
                continue;
            break;
        }
        if (chain->ok())
            on_tx_packet(*chain);
        else
            drop(to_string(chain->error));
        if (!m_tx->add_used(m_mem, chain->head, 0)) {
            queue_failed("TX");
            break;
        }
        m_added[vsock::k_queue_tx] = true;
        progress = true;
    }
    return progress;
}

bool VsockWorker::process_rx() {
    bool progress = false;
    // Control packets first: a RESPONSE must reach the guest before the data behind it.
    while (!m_control.empty()) {
        if (!take_rx_chain())
            return progress;
        Control control = m_control.front();
        m_control.pop_front();
        write_control(control);
        progress = true;
    }
    return forward_host_data() || progress;
}

bool VsockWorker::forward_host_data() {
    bool progress = false;
    for (int round = 0; round < k_max_rounds && !m_broken; round++) {
        m_keys.clear();
        for (const auto& [key, c] : m_connections)
            if (c->established && c->readable && !c->host_eof &&
                ((c->guest_shutdown & vsock::k_shutdown_rcv) || c->to_guest.available() > 0))
                m_keys.push_back(key);
        bool any = false;
        // One packet per connection per turn, so a busy one cannot starve the rest.
        for (uint64_t key : m_keys) {
            VsockConnection* c = find(key);
            if (!c || !c->readable || c->host_eof)
                continue;
            if (c->guest_shutdown & vsock::k_shutdown_rcv) {
                any |= discard_host_data(*c);
                continue;
            }
            if (!take_rx_chain())
                return progress; // no buffers: read nothing until the guest adds some
            any |= read_host_into_chain(*c);
        }
        progress |= any;
        if (!any)
            break;
    }
    return progress;
}

bool VsockWorker::process_event_queue() {
    if (!m_event_pending || !m_event || !m_event->ready() || m_broken)
        return false;
    for (;;) {
        auto chain = m_event->pop(m_mem);
        if (!chain) {
            if (m_event->broken())
                queue_failed("event");
            else if (m_event->enable_notification(m_mem))
                continue;
            return false;
        }
        vsock::Event event{vsock::k_event_transport_reset};
        bool ok = chain->ok() && chain_write(*chain, m_mem, 0, bytes_of(event));
        if (!ok)
            drop("event buffer too small");
        if (!m_event->add_used(m_mem, chain->head, ok ? sizeof event : 0)) {
            queue_failed("event");
            return false;
        }
        m_added[vsock::k_queue_event] = true;
        if (ok) {
            m_event_pending = false;
            return true;
        }
    }
}

bool VsockWorker::take_rx_chain() {
    while (!m_rx_chain && !m_broken) {
        auto chain = m_rx->pop(m_mem);
        if (!chain) {
            if (m_rx->broken()) {
                queue_failed("RX");
                return false;
            }
            if (m_rx->enable_notification(m_mem))
                continue;
            return false;
        }
        if (chain->ok() && chain->writable_bytes() > k_vsock_header_size) {
            m_rx_chain = std::move(chain);
            break;
        }
        drop(chain->ok() ? "RX buffer too small" : to_string(chain->error));
        if (!m_rx->add_used(m_mem, chain->head, 0)) {
            queue_failed("RX");
            return false;
        }
        m_added[vsock::k_queue_rx] = true;
    }
    return m_rx_chain.has_value();
}

void VsockWorker::complete_rx(uint32_t len) {
    uint16_t head = m_rx_chain->head;
    m_rx_chain.reset();
    if (!m_rx->add_used(m_mem, head, len)) {
        queue_failed("RX");
        return;
    }
    m_added[vsock::k_queue_rx] = true;
}

bool VsockWorker::write_control(const Control& control) {
    VsockConnection* c = find(vsock_key(control.local_port, control.peer_port));
    if (c && c->token != control.token)
        c = nullptr; // the key belongs to a newer connection now
    if (!c && control.op != vsock::k_op_rst)
        return false; // the connection went away meanwhile: nothing to say
    if (c && control.op == vsock::k_op_credit_update)
        c->credit_update_queued = false;
    vsock::Header h =
        make_header(c, control.local_port, control.peer_port, control.op, control.flags, 0);
    if (!chain_write(*m_rx_chain, m_mem, 0, bytes_of(h))) {
        drop("RX buffer not writable");
        complete_rx(0);
        return false;
    }
    if (control.op == vsock::k_op_rst)
        m_stats.resets_sent.fetch_add(1, std::memory_order_relaxed);
    complete_rx(sizeof h);
    return true;
}

vsock::Header VsockWorker::make_header(VsockConnection* c, uint32_t local_port, uint32_t peer_port,
                                       uint16_t op, uint32_t flags, uint32_t len) {
    vsock::Header h{};
    h.src_cid = vsock::k_host_cid;
    h.dst_cid = m_setup.guest_cid;
    h.src_port = local_port;
    h.dst_port = peer_port;
    h.len = len;
    h.type = vsock::k_type_stream;
    h.op = op;
    h.flags = flags;
    if (c) {
        h.buf_alloc = HostCredit::k_buf_alloc;
        h.fwd_cnt = c->from_guest.stamp();
    }
    return h;
}

void VsockWorker::signal_guest() {
    bool interrupt = false;
    for (size_t i = 0; i < m_added.size(); i++) {
        if (!m_added[i])
            continue;
        m_added[i] = false;
        if (m_setup.queues[i]->should_notify(m_mem))
            interrupt = true;
    }
    if (interrupt)
        m_setup.signal_used();
}

void VsockWorker::queue_failed(const char* which) {
    if (m_broken)
        return;
    LOG_WARN("virtio-vsock: the guest broke the %s virtqueue; device needs a reset", which);
    m_broken = true;
    m_rx_chain.reset();
    m_setup.needs_reset();
}

void VsockWorker::arm_deadline(VsockClock::time_point when) {
    if (!m_next_deadline || when < *m_next_deadline)
        m_next_deadline = when;
}

int VsockWorker::next_timeout_ms() const {
    if (!m_next_deadline)
        return -1;
    auto left = *m_next_deadline - VsockClock::now();
    if (left <= VsockClock::duration::zero())
        return 0;
    // Round up: waking a little late is fine, waking early spins.
    return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

void VsockWorker::expire_deadlines(VsockClock::time_point now) {
    std::optional<VsockClock::time_point> next;
    auto consider = [&](VsockClock::time_point t) {
        if (!next || t < *next)
            next = t;
    };
    m_keys.clear();
    for (const auto& [key, c] : m_connections) {
        if (!c->deadline)
            continue;
        if (*c->deadline <= now)
            m_keys.push_back(key);
        else
            consider(*c->deadline);
    }
    // No answer to our REQUEST, or to our full SHUTDOWN: the guest gets a reset.
    for (uint64_t key : m_keys)
        if (VsockConnection* c = find(key))
            reset_connection(*c);
    std::erase_if(m_pending, [&](const auto& p) { return p.second.deadline <= now; });
    std::erase_if(m_lingering, [&](const auto& l) { return l.second.deadline <= now; });
    for (const auto& [token, p] : m_pending)
        consider(p.deadline);
    for (const auto& [token, l] : m_lingering)
        consider(l.deadline);
    m_next_deadline = next;
}

void VsockWorker::close_connections() {
    m_connections.clear(); // closes every host socket
    m_token_keys.clear();
    m_control.clear();
    m_stats.connections.store(0, std::memory_order_relaxed);
}

void VsockWorker::transport_reset() {
    // The guest drops every connection when it sees the event; so do we (no RSTs).
    LOG_INFO("virtio-vsock: transport reset, %zu connections dropped", m_connections.size());
    close_connections();
    m_event_pending = true;
}

} // namespace hyper::virtio
