#include "devices/virtio/block_worker.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/log.hpp"
#include "devices/virtio/spec.hpp"

namespace hyper::virtio {

namespace {

constexpr int k_max_retries = 16; // for EAGAIN/EINTR completions

// Drops the first `n` bytes from an iovec array (after a short transfer).
void advance(std::vector<iovec>& iov, size_t n) {
    size_t drop = 0;
    while (drop < iov.size() && n >= iov[drop].iov_len) {
        n -= iov[drop].iov_len;
        drop++;
    }
    iov.erase(iov.begin(), iov.begin() + static_cast<ptrdiff_t>(drop));
    if (!iov.empty() && n > 0) {
        iov[0].iov_base = static_cast<uint8_t*>(iov[0].iov_base) + n;
        iov[0].iov_len -= n;
    }
}

int fallocate_mode(BlockOp op) {
    return (op == BlockOp::Discard ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE) |
           FALLOC_FL_KEEP_SIZE;
}

// Synchronous execution: the fallback when io_uring is unavailable.
uint8_t execute_sync(int fd, BlockRequest& req) {
    switch (req.op) {
    case BlockOp::Read:
    case BlockOp::Write: {
        uint64_t done = 0;
        while (done < req.length) {
            auto count = static_cast<int>(req.iov.size());
            off_t at = static_cast<off_t>(req.offset + done);
            ssize_t r = req.op == BlockOp::Read ? ::preadv(fd, req.iov.data(), count, at)
                                                : ::pwritev(fd, req.iov.data(), count, at);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return blk::k_s_ioerr;
            done += static_cast<uint64_t>(r);
            advance(req.iov, static_cast<size_t>(r));
        }
        return blk::k_s_ok;
    }
    case BlockOp::Flush: return ::fdatasync(fd) == 0 ? blk::k_s_ok : blk::k_s_ioerr;
    case BlockOp::Discard:
    case BlockOp::WriteZeroes:
        return ::fallocate(fd, fallocate_mode(req.op), static_cast<off_t>(req.offset),
                           static_cast<off_t>(req.length)) == 0
                   ? blk::k_s_ok
                   : blk::k_s_ioerr;
    case BlockOp::Complete: return req.status;
    }
    return blk::k_s_ioerr;
}

class Worker {
  public:
    explicit Worker(const BlockWorkerSetup& setup)
        : m_setup(setup), m_capacity(setup.queue->size()), m_slots(m_capacity) {
        for (size_t i = m_capacity; i-- > 0;)
            m_free.push_back(i);
    }
    void run();

  private:
    struct Slot {
        BlockRequest req;
        uint64_t done{0};
        int retries{0};
    };

    void process_queue();
    void start(BlockRequest req);
    bool submit(size_t slot);
    void on_completion(uint64_t slot, int32_t result);
    void reap();
    void complete(const BlockRequest& req, uint8_t status);
    void drain();

    const BlockWorkerSetup& m_setup;
    size_t m_capacity;
    std::vector<Slot> m_slots;
    std::vector<size_t> m_free;
    std::vector<IoUring::Completion> m_completions;
    bool m_added{false};
    bool m_broken{false};
    bool m_warned_chain{false};
};

void Worker::run() {
    pollfd fds[3] = {
        {m_setup.stop->fd(), POLLIN, 0}, {m_setup.notify->fd(), POLLIN, 0}, {-1, POLLIN, 0}};
    nfds_t count = 2;
    if (m_setup.ring) {
        fds[2].fd = m_setup.ring_event->fd();
        count = 3;
    }
    for (;;) {
        if (m_setup.ring)
            reap();
        if (!m_broken)
            process_queue();
        if (m_setup.ring) {
            if (int r = m_setup.ring->submit(); r < 0)
                LOG_WARN("virtio-blk: io_uring_submit: %s", std::strerror(-r));
        }
        if (m_added && m_setup.queue->should_notify(*m_setup.memory))
            m_setup.signal_used();
        m_added = false;
        if (::poll(fds, count, -1) < 0) {
            if (errno == EINTR)
                continue;
            LOG_ERROR("virtio-blk: poll: %s", std::strerror(errno));
            m_setup.needs_reset();
            break;
        }
        if (fds[0].revents)
            break;
        if (fds[1].revents)
            m_setup.notify->consume();
        if (count == 3 && fds[2].revents)
            m_setup.ring_event->consume();
    }
    drain();
}

void Worker::process_queue() {
    const GuestMemory& mem = *m_setup.memory;
    while (!m_free.empty()) {
        auto chain = m_setup.queue->pop(mem);
        if (!chain) {
            if (m_setup.queue->broken()) {
                LOG_WARN("virtio-blk: the guest broke the virtqueue; device needs a reset");
                m_broken = true;
                m_setup.needs_reset();
                return;
            }
            if (m_setup.queue->enable_notification(mem))
                continue; // more arrived while we were asking for a kick
            return;
        }
        if (!chain->ok() && !m_warned_chain) {
            LOG_WARN("virtio-blk: refused a descriptor chain: %s", to_string(chain->error));
            m_warned_chain = true;
        }
        start(prepare_request(*chain, mem, m_setup.disk));
    }
}

void Worker::start(BlockRequest req) {
    if (req.op == BlockOp::Complete || !m_setup.ring) {
        uint8_t status = execute_sync(m_setup.fd, req);
        complete(req, status);
        return;
    }
    size_t slot = m_free.back();
    m_free.pop_back();
    m_slots[slot] = Slot{std::move(req), 0, 0};
    if (!submit(slot)) {
        m_free.push_back(slot);
        complete(m_slots[slot].req, blk::k_s_ioerr);
    }
}

bool Worker::submit(size_t slot) {
    Slot& s = m_slots[slot];
    BlockRequest& req = s.req;
    uint64_t at = req.offset + s.done;
    auto count = static_cast<unsigned>(req.iov.size());
    switch (req.op) {
    case BlockOp::Read: return m_setup.ring->readv(m_setup.fd, req.iov.data(), count, at, slot);
    case BlockOp::Write: return m_setup.ring->writev(m_setup.fd, req.iov.data(), count, at, slot);
    case BlockOp::Flush: return m_setup.ring->fdatasync(m_setup.fd, slot);
    case BlockOp::Discard:
    case BlockOp::WriteZeroes:
        return m_setup.ring->fallocate(m_setup.fd, fallocate_mode(req.op), req.offset, req.length,
                                       slot);
    case BlockOp::Complete: break;
    }
    return false;
}

void Worker::on_completion(uint64_t slot, int32_t result) {
    if (slot >= m_slots.size())
        return;
    Slot& s = m_slots[slot];
    bool transfer = s.req.op == BlockOp::Read || s.req.op == BlockOp::Write;
    if ((result == -EAGAIN || result == -EINTR) && s.retries++ < k_max_retries && submit(slot))
        return;
    if (transfer && result > 0 && s.done + static_cast<uint64_t>(result) < s.req.length) {
        s.done += static_cast<uint64_t>(result); // short transfer: go on with the rest
        advance(s.req.iov, static_cast<size_t>(result));
        if (submit(slot))
            return;
        result = -EIO;
    }
    uint8_t status = result < 0 || (transfer && result == 0) ? blk::k_s_ioerr : blk::k_s_ok;
    complete(s.req, status);
    s.req = BlockRequest{};
    m_free.push_back(slot);
}

void Worker::reap() {
    m_completions.clear();
    m_setup.ring->reap(m_completions);
    for (const auto& c : m_completions)
        on_completion(c.user_data, c.result);
}

void Worker::complete(const BlockRequest& req, uint8_t status) {
    if (m_broken)
        return;
    uint32_t used_len = finish_request(req, *m_setup.memory, status);
    if (m_setup.queue->add_used(*m_setup.memory, req.head, used_len))
        m_added = true;
}

// After a stop: wait for the kernel to finish with every buffer, report nothing.
void Worker::drain() {
    if (!m_setup.ring)
        return;
    m_broken = true; // no more used entries: the driver has reset the device
    m_setup.ring->submit();
    while (m_free.size() < m_capacity) {
        if (m_setup.ring->wait() < 0)
            break;
        m_completions.clear();
        m_setup.ring->reap(m_completions);
        for (const auto& c : m_completions)
            if (c.user_data < m_slots.size())
                m_free.push_back(c.user_data);
    }
}

} // namespace

void run_block_worker(const BlockWorkerSetup& setup) {
    Worker worker(setup);
    worker.run();
}

} // namespace hyper::virtio
