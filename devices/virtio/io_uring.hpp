#pragma once
// A small owner of an io_uring instance (liburing): the submission calls the block device
// needs and a completion drain. Move-only; the ring is torn down in the destructor.
#include <cstdint>
#include <sys/uio.h>
#include <vector>

#include "base/result.hpp"

struct io_uring; // liburing

namespace hyper::virtio {

class IoUring {
  public:
    struct Completion {
        uint64_t user_data;
        int32_t result; // bytes, 0, or -errno
    };

    // Fails when the kernel refuses io_uring (too old, seccomp, io_uring_disabled).
    static Result<IoUring> create(unsigned entries);
    IoUring() = default;
    IoUring(const IoUring&) = delete;
    IoUring& operator=(const IoUring&) = delete;
    IoUring(IoUring&& other) noexcept;
    IoUring& operator=(IoUring&& other) noexcept;
    ~IoUring();

    bool valid() const { return m_ring != nullptr; }
    // Each queues one operation; false when the submission queue is full. The iovecs
    // must stay alive and unchanged until the operation completes.
    bool readv(int fd, const iovec* iov, unsigned count, uint64_t offset, uint64_t user_data);
    bool writev(int fd, const iovec* iov, unsigned count, uint64_t offset, uint64_t user_data);
    bool fdatasync(int fd, uint64_t user_data);
    bool fallocate(int fd, int mode, uint64_t offset, uint64_t length, uint64_t user_data);

    // Hands the queued operations to the kernel (retries EINTR). Returns -errno on error.
    int submit();
    // Appends every completion available now, without blocking.
    void reap(std::vector<Completion>& out);
    // Blocks until at least one completion is available.
    int wait();
    // The kernel signals `eventfd` whenever it posts a completion.
    Result<void> register_eventfd(int eventfd);

  private:
    void reset();
    ::io_uring* m_ring{nullptr};
};

} // namespace hyper::virtio
