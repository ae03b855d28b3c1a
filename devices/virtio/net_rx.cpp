// The receive half of the virtio-net I/O thread (see net_worker.hpp).
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "devices/virtio/net_spec.hpp"
#include "devices/virtio/net_worker.hpp"

namespace hyper::virtio {

// Returns true when it stopped at the batch limit with more to do.
bool NetWorker::process_rx() {
    for (unsigned n = 0; n < k_batch; n++) {
        if (m_broken || m_rx_stalled)
            return false;
        if (m_pending > 0) {
            if (!deliver_pending())
                return false;
            continue;
        }
        if (!m_readable || m_endpoint_gone)
            return false;
        if (!refill(net::k_max_packet))
            return false;
        size_t iov_count = 0;
        if (uint64_t capacity = direct_capacity(iov_count); capacity >= net::k_max_packet) {
            read_direct(capacity, iov_count);
        } else if (!m_rx_chains.empty()) {
            read_bounce();
        } else if (stall()) {
            return false; // no buffers: leave the packets in the endpoint
        }
    }
    return true;
}

// Pops chains until the held ones can take `want` bytes (with MRG_RXBUF; without it one
// chain is enough), the queue is empty, or the iovec array is full. false: broken ring.
bool NetWorker::refill(uint64_t want) {
    while ((m_s.mergeable ? m_rx_capacity < want : m_rx_chains.empty()) &&
           m_rx_iov.size() < k_max_iov && m_rx_chains.size() < m_s.rx->size()) {
        auto chain = m_s.rx->pop(m_mem);
        if (!chain) {
            if (!m_s.rx->broken())
                return true;
            broken("receive");
            return false;
        }
        if (hold(*chain))
            continue;
        m_s.stats->rx_bad_chains.fetch_add(1, std::memory_order_relaxed);
        if (!m_s.rx->add_used(m_mem, chain->head, 0)) {
            broken("receive");
            return false;
        }
        m_rx_added = true;
    }
    return true;
}

// Takes a receive chain: device-writable buffers only, room for at least the header.
bool NetWorker::hold(const DescriptorChain& chain) {
    if (!chain.ok())
        return false;
    uint64_t capacity = 0;
    for (const Descriptor& d : chain.descriptors) {
        if (!d.writable)
            return false;
        capacity += d.len;
    }
    if (capacity < net::k_header_size)
        return false;
    size_t first = m_rx_iov.size();
    for (const Descriptor& d : chain.descriptors) {
        auto span = m_mem.host_span(d.addr, d.len);
        if (!span) {
            m_rx_iov.resize(first);
            m_rx_desc.resize(first);
            return false;
        }
        m_rx_iov.push_back({span->data(), span->size()});
        m_rx_desc.push_back(d);
    }
    m_rx_chains.push_back({chain.head, static_cast<uint32_t>(chain.descriptors.size()), capacity});
    m_rx_capacity += capacity;
    return true;
}

// Asks the driver to notify when it adds receive buffers. false: some arrived meanwhile.
bool NetWorker::stall() {
    if (m_s.rx->enable_notification(m_mem))
        return false;
    if (m_s.rx->broken())
        broken("receive");
    m_rx_stalled = true;
    m_s.stats->rx_waits.fetch_add(1, std::memory_order_relaxed);
    return true;
}

// What one readv() into the held chains can take, and with how many iovecs.
uint64_t NetWorker::direct_capacity(size_t& iov_count) const {
    iov_count = 0;
    if (m_rx_chains.empty())
        return 0;
    if (!m_s.mergeable) {
        iov_count = m_rx_chains.front().iov_count;
        return m_rx_chains.front().capacity;
    }
    if (m_rx_iov.size() <= k_max_iov) {
        iov_count = m_rx_iov.size();
        return m_rx_capacity;
    }
    uint64_t capacity = 0;
    for (size_t i = 0; i < k_max_iov; i++)
        capacity += m_rx_iov[i].iov_len;
    iov_count = k_max_iov;
    return capacity;
}

void NetWorker::drop_rx(const char* why) {
    m_s.stats->rx_dropped.fetch_add(1, std::memory_order_relaxed);
    LOG_DEBUG("virtio-net: dropped a received packet: %s", why);
}

void NetWorker::read_direct(uint64_t capacity, size_t iov_count) {
    ssize_t r = m_s.endpoint->read_packet(m_rx_iov.data(), static_cast<int>(iov_count));
    if (r < 0) {
        m_readable = false; // epoll says when to try again
        if (r != -EAGAIN)
            drop_rx(std::strerror(static_cast<int>(-r)));
        return;
    }
    if (static_cast<uint64_t>(r) > capacity || r < net::k_header_size) {
        drop_rx(r < net::k_header_size ? "shorter than its header" : "larger than 64 KiB");
        return;
    }
    finish_frame(static_cast<uint32_t>(r));
}

void NetWorker::read_bounce() {
    iovec iov{m_bounce.data(), m_bounce.size()};
    ssize_t r = m_s.endpoint->read_packet(&iov, 1);
    if (r < 0) {
        m_readable = false;
        if (r != -EAGAIN)
            drop_rx(std::strerror(static_cast<int>(-r)));
        return;
    }
    if (static_cast<uint64_t>(r) > m_bounce.size() || r < net::k_header_size) {
        drop_rx(r < net::k_header_size ? "shorter than its header" : "larger than 64 KiB");
        return;
    }
    m_pending = static_cast<uint32_t>(r);
}

// Copies the bounced packet into the held chains once they can take it. true: done
// (delivered, or dropped because the guest's buffers can never take it); false: waiting
// for buffers, or broken.
bool NetWorker::deliver_pending() {
    for (;;) {
        if (!refill(m_pending))
            return false;
        bool fits = m_s.mergeable ? m_rx_capacity >= m_pending
                                  : !m_rx_chains.empty() && m_rx_chains[0].capacity >= m_pending;
        if (fits) {
            if (copy_to_chains(m_pending))
                finish_frame(m_pending);
            else
                drop_rx("guest buffer not writable");
            m_pending = 0;
            return true;
        }
        bool never = m_s.mergeable
                         ? m_rx_iov.size() >= k_max_iov || m_rx_chains.size() >= m_s.rx->size()
                         : !m_rx_chains.empty();
        if (never) {
            drop_rx("larger than the guest's receive buffers");
            m_pending = 0;
            return true;
        }
        if (stall())
            return false;
    }
}

bool NetWorker::copy_to_chains(uint32_t len) {
    uint32_t done = 0;
    for (size_t i = 0; done < len && i < m_rx_desc.size(); i++) {
        uint32_t n = std::min(len - done, m_rx_desc[i].len);
        if (!m_mem.write(m_rx_desc[i].addr, std::span(m_bounce.data() + done, n)))
            return false;
        done += n;
    }
    return done == len;
}

// Writes into the header at the start of the first held chain (it may span buffers).
void NetWorker::write_header_field(uint32_t offset, const void* data, uint32_t size) {
    auto bytes = std::span(static_cast<const uint8_t*>(data), size);
    uint32_t count = m_rx_chains.front().iov_count;
    for (uint32_t i = 0; i < count && !bytes.empty(); i++) {
        const Descriptor& d = m_rx_desc[i];
        if (offset >= d.len) {
            offset -= d.len;
            continue;
        }
        size_t n = std::min<size_t>(bytes.size(), d.len - offset);
        (void)m_mem.write(d.addr.unchecked_add(offset), bytes.first(n));
        bytes = bytes.subspan(n);
        offset = 0;
    }
}

// The packet of `len` bytes (header included) fills the first held chains in order: fix
// the header up, publish those chains, forget them.
void NetWorker::finish_frame(uint32_t len) {
    uint16_t count = 0;
    size_t iov_used = 0;
    uint64_t capacity_used = 0;
    for (uint64_t left = len; left > 0 && count < m_rx_chains.size(); count++) {
        const RxChain& c = m_rx_chains[count];
        left -= std::min(left, c.capacity);
        iov_used += c.iov_count;
        capacity_used += c.capacity;
    }
    if (capacity_used < len) { // callers checked; never happens
        drop_rx("internal: not enough buffers");
        return;
    }
    write_header_field(net::k_num_buffers_offset, &count, sizeof count);
    if (!m_s.guest_csum) {
        uint8_t flags = 0; // DATA_VALID too needs GUEST_CSUM (spec 5.1.6.4.1)
        write_header_field(0, &flags, 1);
    }
    uint64_t left = len;
    for (uint16_t i = 0; i < count; i++) {
        const RxChain& c = m_rx_chains[i];
        auto used = static_cast<uint32_t>(std::min(left, c.capacity));
        left -= used;
        if (!m_s.rx->add_used(m_mem, c.head, used)) {
            broken("receive");
            break;
        }
    }
    m_rx_added = true;
    m_rx_chains.erase(m_rx_chains.begin(), m_rx_chains.begin() + count);
    m_rx_iov.erase(m_rx_iov.begin(), m_rx_iov.begin() + static_cast<ptrdiff_t>(iov_used));
    m_rx_desc.erase(m_rx_desc.begin(), m_rx_desc.begin() + static_cast<ptrdiff_t>(iov_used));
    m_rx_capacity -= capacity_used;
    m_s.stats->rx_frames.fetch_add(1, std::memory_order_relaxed);
    m_s.stats->rx_bytes.fetch_add(len - net::k_header_size, std::memory_order_relaxed);
}

} // namespace hyper::virtio
