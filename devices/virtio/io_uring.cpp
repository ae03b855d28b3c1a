#include "devices/virtio/io_uring.hpp"

#include <cerrno>
#include <liburing.h>
#include <utility>

namespace hyper::virtio {

Result<IoUring> IoUring::create(unsigned entries) {
    auto* ring = new ::io_uring{};
    int r = io_uring_queue_init(entries, ring, 0);
    if (r < 0) {
        delete ring;
        return fail_errno("io_uring_queue_init", -r);
    }
    IoUring result;
    result.m_ring = ring;
    return result;
}

IoUring::IoUring(IoUring&& other) noexcept : m_ring(std::exchange(other.m_ring, nullptr)) {}

IoUring& IoUring::operator=(IoUring&& other) noexcept {
    if (this != &other) {
        reset();
        m_ring = std::exchange(other.m_ring, nullptr);
    }
    return *this;
}

IoUring::~IoUring() {
    reset();
}

void IoUring::reset() {
    if (!m_ring)
        return;
    io_uring_queue_exit(m_ring);
    delete m_ring;
    m_ring = nullptr;
}

bool IoUring::readv(int fd, const iovec* iov, unsigned count, uint64_t offset, uint64_t user_data) {
    io_uring_sqe* sqe = io_uring_get_sqe(m_ring);
    if (!sqe)
        return false;
    io_uring_prep_readv(sqe, fd, iov, count, offset);
    io_uring_sqe_set_data64(sqe, user_data);
    return true;
}

bool IoUring::writev(int fd, const iovec* iov, unsigned count, uint64_t offset,
                     uint64_t user_data) {
    io_uring_sqe* sqe = io_uring_get_sqe(m_ring);
    if (!sqe)
        return false;
    io_uring_prep_writev(sqe, fd, iov, count, offset);
    io_uring_sqe_set_data64(sqe, user_data);
    return true;
}

bool IoUring::fdatasync(int fd, uint64_t user_data) {
    io_uring_sqe* sqe = io_uring_get_sqe(m_ring);
    if (!sqe)
        return false;
    io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(sqe, user_data);
    return true;
}

bool IoUring::fallocate(int fd, int mode, uint64_t offset, uint64_t length, uint64_t user_data) {
    io_uring_sqe* sqe = io_uring_get_sqe(m_ring);
    if (!sqe)
        return false;
    io_uring_prep_fallocate(sqe, fd, mode, static_cast<off_t>(offset), static_cast<off_t>(length));
    io_uring_sqe_set_data64(sqe, user_data);
    return true;
}

int IoUring::submit() {
    for (;;) {
        int r = io_uring_submit(m_ring);
        if (r != -EINTR)
            return r < 0 ? r : 0;
    }
}

void IoUring::reap(std::vector<Completion>& out) {
    io_uring_cqe* cqe = nullptr;
    while (io_uring_peek_cqe(m_ring, &cqe) == 0 && cqe) {
        out.push_back({io_uring_cqe_get_data64(cqe), cqe->res});
        io_uring_cqe_seen(m_ring, cqe);
    }
}

int IoUring::wait() {
    io_uring_cqe* cqe = nullptr;
    for (;;) {
        int r = io_uring_wait_cqe(m_ring, &cqe);
        if (r != -EINTR)
            return r;
    }
}

Result<void> IoUring::register_eventfd(int eventfd) {
    int r = io_uring_register_eventfd(m_ring, eventfd);
    if (r < 0)
        return fail_errno("io_uring_register_eventfd", -r);
    return {};
}

} // namespace hyper::virtio
