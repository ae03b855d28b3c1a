#include "devices/virtio/vsock_connection.hpp"

#include <algorithm>

namespace hyper::virtio {

namespace {

// A drained buffer keeps at most this much memory.
constexpr size_t k_keep_capacity = 64 * 1024;

} // namespace

std::span<uint8_t> ByteQueue::grow(size_t n) {
    if (m_head > 0 && m_head >= m_data.size() / 2) {
        m_data.erase(m_data.begin(), m_data.begin() + static_cast<ptrdiff_t>(m_head));
        m_head = 0;
    }
    size_t old = m_data.size();
    m_data.resize(old + n);
    return std::span(m_data).subspan(old, n);
}

void ByteQueue::consume(size_t n) {
    m_head += std::min(n, size());
    if (m_head == m_data.size()) {
        m_data.clear();
        m_head = 0;
        if (m_data.capacity() > k_keep_capacity)
            m_data.shrink_to_fit();
    }
}

void ByteQueue::clear() {
    m_data.clear();
    m_data.shrink_to_fit();
    m_head = 0;
}

void GuestCredit::init(uint32_t buf_alloc, uint32_t fwd_cnt) {
    m_buf_alloc = std::min(buf_alloc, k_max_buf_alloc);
    m_fwd_cnt = fwd_cnt;
    m_sent = fwd_cnt; // nothing in flight yet, whatever the guest counts from
}

bool GuestCredit::update(uint32_t buf_alloc, uint32_t fwd_cnt) {
    // Modulo 2^32. Behind the count we know: an older packet, ignored. Ahead of what we
    // sent: a lie.
    auto advance = static_cast<int32_t>(fwd_cnt - m_fwd_cnt);
    if (advance < 0)
        return true;
    if (static_cast<uint32_t>(advance) > in_flight())
        return false;
    m_buf_alloc = std::min(buf_alloc, k_max_buf_alloc);
    m_fwd_cnt = fwd_cnt;
    return true;
}

uint32_t GuestCredit::available() const {
    uint32_t used = in_flight();
    return used >= m_buf_alloc ? 0 : m_buf_alloc - used;
}

bool HostCredit::accept(uint32_t len) {
    if (len > k_buf_alloc - buffered())
        return false;
    m_received += len;
    return true;
}

bool HostCredit::update_due() const {
    if (m_fwd_cnt == m_reported)
        return false;
    uint32_t believed_used = m_received - m_reported;
    return k_buf_alloc - std::min(believed_used, k_buf_alloc) < k_update_threshold;
}

} // namespace hyper::virtio
