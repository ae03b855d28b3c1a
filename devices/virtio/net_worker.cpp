#include "devices/virtio/net_worker.hpp"

#include <cerrno>
#include <cstring>
#include <sys/epoll.h>

#include "base/log.hpp"
#include "devices/virtio/net_spec.hpp"

namespace hyper::virtio {

namespace {

enum Tag : uint32_t { k_tag_stop, k_tag_rx_notify, k_tag_tx_notify, k_tag_endpoint };

Result<void> add_fd(int epoll, int fd, uint32_t events, Tag tag) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u32 = tag;
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) < 0)
        return fail_errno("virtio-net: epoll_ctl", errno, ExitCode::HostResource);
    return {};
}

} // namespace

NetWorker::NetWorker(NetWorkerSetup setup) : m_s(std::move(setup)), m_mem(*m_s.memory) {}

Result<std::unique_ptr<NetWorker>> NetWorker::create(NetWorkerSetup setup) {
    std::unique_ptr<NetWorker> w(new NetWorker(std::move(setup)));
    size_t max_chain = 2 * size_t{w->m_s.rx->size()}; // direct descriptors + an indirect table
    w->m_tx_iov.reserve(2 * size_t{w->m_s.tx->size()});
    w->m_rx_chains.reserve(w->m_s.rx->size());
    w->m_rx_iov.reserve(k_max_iov + max_chain);
    w->m_rx_desc.reserve(k_max_iov + max_chain);
    w->m_bounce.resize(net::k_max_packet);
    w->m_epoll = Fd(::epoll_create1(EPOLL_CLOEXEC));
    int ep = w->m_epoll.get();
    if (ep < 0)
        return fail_errno("virtio-net: epoll_create1", errno, ExitCode::HostResource);
    TRY(add_fd(ep, w->m_s.stop->fd(), EPOLLIN, k_tag_stop));
    TRY(add_fd(ep, w->m_s.rx_notify->fd(), EPOLLIN, k_tag_rx_notify));
    TRY(add_fd(ep, w->m_s.tx_notify->fd(), EPOLLIN, k_tag_tx_notify));
    w->m_interest = EPOLLIN;
    TRY(add_fd(ep, w->m_s.endpoint->fd(), w->m_interest, k_tag_endpoint));
    return w;
}

void NetWorker::run() {
    while (step(-1)) {
    }
}

bool NetWorker::step(int max_wait_ms) {
    bool more = false;
    if (!m_broken)
        more |= process_tx();
    if (!m_broken)
        more |= process_rx();
    if (!m_broken) {
        // Both: should_notify() also records what the driver has been told.
        bool rx = m_rx_added && m_s.rx->should_notify(m_mem);
        // A transmit queue we emptied is always reported: the driver may hold its
        // stack's packets until it has reaped the completed ones.
        bool tx = m_tx_added && (m_s.tx->should_notify(m_mem) || m_tx_drained);
        if (rx || tx) {
            m_s.signal_used();
            m_s.stats->interrupts.fetch_add(1, std::memory_order_relaxed);
        }
    }
    m_rx_added = m_tx_added = m_tx_drained = false;
    update_interest();
    epoll_event events[4];
    int n = ::epoll_wait(m_epoll.get(), events, 4, more ? 0 : max_wait_ms);
    if (n < 0) {
        if (errno == EINTR)
            return true;
        LOG_ERROR("virtio-net: epoll_wait: %s", std::strerror(errno));
        m_s.needs_reset();
        return false;
    }
    for (int i = 0; i < n; i++) {
        switch (events[i].data.u32) {
        case k_tag_stop: return false;
        case k_tag_rx_notify:
            m_s.rx_notify->consume();
            m_rx_stalled = false;
            break;
        case k_tag_tx_notify: m_s.tx_notify->consume(); break;
        case k_tag_endpoint: on_endpoint_event(events[i].events); break;
        default: break;
        }
    }
    return true;
}

void NetWorker::on_endpoint_event(uint32_t events) {
    if (events & EPOLLIN)
        m_readable = true;
    if ((events & EPOLLOUT) && m_tx_blocked && !m_broken)
        m_tx_blocked = !send_tx();
    if (!(events & (EPOLLHUP | EPOLLERR)) || (events & EPOLLIN))
        return;
    // The TAP was deleted under us (or a test's peer closed): stop polling it; writes now
    // fail and are counted as dropped.
    LOG_WARN("virtio-net: %s is gone; no more packets", m_s.endpoint->name().c_str());
    ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, m_s.endpoint->fd(), nullptr);
    m_endpoint_gone = true;
    m_readable = false;
    if (m_tx_blocked) {
        m_tx_blocked = false;
        m_s.stats->tx_dropped.fetch_add(1, std::memory_order_relaxed);
        if (!m_broken)
            complete_tx(m_tx_head);
    }
}

void NetWorker::update_interest() {
    if (m_endpoint_gone)
        return;
    uint32_t want = 0;
    if (!m_broken && !m_rx_stalled && m_pending == 0)
        want |= EPOLLIN;
    if (!m_broken && m_tx_blocked)
        want |= EPOLLOUT;
    if (want == m_interest)
        return;
    epoll_event ev{};
    ev.events = want;
    ev.data.u32 = k_tag_endpoint;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, m_s.endpoint->fd(), &ev) == 0)
        m_interest = want;
}

void NetWorker::broken(const char* queue) {
    LOG_WARN("virtio-net: the guest broke the %s virtqueue; device needs a reset", queue);
    m_broken = true;
    m_s.needs_reset();
}

bool NetWorker::process_tx() {
    const GuestMemory& mem = m_mem;
    for (unsigned n = 0; n < k_batch; n++) {
        if (m_tx_blocked)
            return false;
        auto chain = m_s.tx->pop(mem);
        if (!chain) {
            if (m_s.tx->broken()) {
                broken("transmit");
                return false;
            }
            if (m_s.tx->enable_notification(mem))
                continue; // more arrived while we were asking for a kick
            m_tx_drained = true;
            return false;
        }
        if (!prepare_tx(*chain)) {
            m_s.stats->tx_bad_chains.fetch_add(1, std::memory_order_relaxed);
            complete_tx(chain->head);
            if (m_broken)
                return false;
            continue;
        }
        if (!send_tx()) {
            m_tx_blocked = true;
            m_s.stats->tx_waits.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        if (m_broken)
            return false;
    }
    return true;
}

// Device-readable only, a whole header, at most one largest packet: the iovecs of the
// packet in m_tx_iov.
bool NetWorker::prepare_tx(const DescriptorChain& chain) {
    m_tx_iov.clear();
    m_tx_head = chain.head;
    if (!chain.ok() || chain.descriptors.size() > k_max_iov)
        return false;
    uint64_t total = 0;
    for (const Descriptor& d : chain.descriptors) {
        if (d.writable)
            return false;
        total += d.len;
        if (total > net::k_max_packet)
            return false;
        auto span = m_mem.host_span(d.addr, d.len);
        if (!span)
            return false;
        m_tx_iov.push_back({span->data(), span->size()});
    }
    if (total < net::k_header_size)
        return false;
    m_tx_len = static_cast<uint32_t>(total);
    return true;
}

bool NetWorker::send_tx() {
    ssize_t r = m_s.endpoint->write_packet(m_tx_iov.data(), static_cast<int>(m_tx_iov.size()));
    if (r == -EAGAIN)
        return false;
    NetStats& st = *m_s.stats;
    if (r < 0) {
        st.tx_dropped.fetch_add(1, std::memory_order_relaxed);
        LOG_DEBUG("virtio-net: %s refused a packet: %s", m_s.endpoint->name().c_str(),
                  std::strerror(static_cast<int>(-r)));
    } else {
        st.tx_frames.fetch_add(1, std::memory_order_relaxed);
        st.tx_bytes.fetch_add(m_tx_len - net::k_header_size, std::memory_order_relaxed);
    }
    complete_tx(m_tx_head);
    return true;
}

// The device writes nothing into a transmit chain: used length 0.
void NetWorker::complete_tx(uint16_t head) {
    if (m_s.tx->add_used(m_mem, head, 0))
        m_tx_added = true;
    else
        broken("transmit");
}

} // namespace hyper::virtio
