#pragma once
// The interface between a virtio transport (virtio-mmio here) and a device model
// (virtio-blk, ...). Transport-agnostic: the transport owns the queues, the feature
// negotiation, the status state machine, the notify eventfds and the interrupt line; the
// device owns its configuration space and its I/O thread.
//
// Lifecycle, driven by the transport on a vCPU thread:
//   (construct) -> activate() when the driver sets DRIVER_OK -> reset() when it writes 0
//   to Status (or the transport is destroyed) -> activate() again ...
// Between activate() and reset() the device uses the queues (on its own thread, or in
// notify()); the transport does not touch them. reset() returns only once the device has
// stopped touching guest memory and the queues.
//
// Notifications: each queue has an EventFd owned by the transport. The builder registers
// it with KVM as an ioeventfd on the QueueNotify register, and the transport signals it
// itself when a QueueNotify write reaches it through the bus; either way the device's
// I/O thread only waits on the eventfd. A device whose serves_on_notify() is true has no
// I/O thread: the builder registers no ioeventfd for it, so every QueueNotify write
// reaches the transport, which calls notify(queue) on that vCPU thread.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/event_fd.hpp"
#include "base/guest_memory.hpp"
#include "base/result.hpp"
#include "devices/virtio/queue.hpp"

namespace hyper::virtio {

struct ActivateContext {
    const GuestMemory& memory;
    // The negotiated feature bits (device and transport ones).
    uint64_t features;
    // One entry per queue, in queue-index order. A queue the driver did not enable has
    // ready() false; every ready queue has passed Queue::valid().
    std::vector<Queue*> queues;
    // Same order: the eventfd signalled when the driver notifies that queue.
    std::vector<const EventFd*> notify;
    // Thread-safe. Sets the "used buffer" interrupt status bit and raises the IRQ.
    // Call it after add_used() when Queue::should_notify() says so.
    std::function<void()> signal_used;
    // Thread-safe. The device cannot go on (a broken queue): sets NEEDS_RESET in the
    // device status and raises a configuration-change interrupt. The device must stop
    // using the queues until reset().
    std::function<void()> needs_reset;
};

class VirtioDevice {
  public:
    virtual ~VirtioDevice() = default;
    virtual const char* name() const = 0;
    // The virtio device type (spec 5), e.g. k_device_id_block.
    virtual uint32_t device_id() const = 0;
    // Device-specific feature bits only; the transport adds VERSION_1, EVENT_IDX and
    // INDIRECT_DESC itself.
    virtual uint64_t device_features() const = 0;
    // Maximum size of each queue (a power of two); the count is the number of queues.
    virtual std::span<const uint16_t> queue_max_sizes() const = 0;

    // Configuration space. Accesses of any width; bytes beyond the device's
    // configuration read as 0 and writes there are ignored.
    virtual void read_config(uint64_t offset, std::span<uint8_t> data) const = 0;
    virtual void write_config(uint64_t offset, std::span<const uint8_t> data) = 0;

    // The driver set DRIVER_OK. An error means the device cannot run with this set-up
    // (a required queue not ready, no thread); the transport then sets NEEDS_RESET.
    virtual Result<void> activate(ActivateContext context) = 0;
    // Stops the I/O thread (waits for it) and forgets the queues. Safe to call when not
    // active.
    virtual void reset() = 0;
    // The device's counters for `vmm --stats`, as JSON members ("name":N,...); empty when
    // it keeps none. Any thread may ask.
    virtual std::string stats_json() const { return {}; }

    // true: the device serves its queues on the vCPU thread that notifies, in notify(),
    // which the transport calls with its lock held (never at the same time as activate(),
    // reset() or another notify()). For a device whose requests are short and each waited
    // for by the guest (9P): the answer is ready when the guest's notifying write returns,
    // with no other thread to wake and no idle vCPU to halt and wake up meanwhile. The
    // vCPU threads then need the device's syscalls (a role of their own).
    virtual bool serves_on_notify() const { return false; }
    // The driver notified queue `queue` (< the queue count), between activate() and
    // reset(); only called when serves_on_notify().
    virtual void notify(size_t queue) { (void)queue; }
};

} // namespace hyper::virtio
