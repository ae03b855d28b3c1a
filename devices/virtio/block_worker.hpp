#pragma once
// The I/O thread of one virtio-blk device. It waits (poll) on the queue's notify eventfd,
// on the io_uring completion eventfd and on a stop eventfd; pops every available request,
// submits them all to io_uring (several in flight, at most one per queue entry), and
// completes them in batches: all finished used entries first, then at most one
// interrupt, as EVENT_IDX allows. Without a ring it executes each request synchronously
// (preadv/pwritev/fdatasync/fallocate) on the same thread.
#include <functional>

#include "base/event_fd.hpp"
#include "base/guest_memory.hpp"
#include "devices/virtio/block_request.hpp"
#include "devices/virtio/io_uring.hpp"
#include "devices/virtio/queue.hpp"

namespace hyper::virtio {

struct BlockWorkerSetup {
    const GuestMemory* memory;
    Queue* queue;
    const EventFd* notify;
    const EventFd* stop;
    int fd;
    DiskInfo disk;
    IoUring* ring;             // null: synchronous I/O
    const EventFd* ring_event; // registered with `ring`; null when `ring` is
    std::function<void()> signal_used;
    std::function<void()> needs_reset;
};

// The thread body. Returns once `stop` is signalled and every submitted operation has
// completed; after the stop it writes nothing more to the rings.
void run_block_worker(const BlockWorkerSetup& setup);

} // namespace hyper::virtio
