#pragma once
// The virtio-mmio transport, version 2 only (virtio 1.2, 4.2.2): a register window on the
// MMIO bus in front of one VirtioDevice. Registers are 32-bit, naturally aligned; any
// other access to them is ignored (reads as 0). The device's configuration space starts
// at 0x100 and takes accesses of any width.
//
// The builder:
//   auto t = TRY(MmioTransport::create(std::move(device), machine.memory, irq_line));
//   mmio_bus.insert(base, MmioTransport::k_size, t);
//   unless t->serves_on_notify(), for each queue q:
//       vm.register_ioeventfd(t->notify_eventfd(q).fd(),
//                             base + MmioTransport::k_queue_notify_offset, 4, /*pio=*/false)
//       (without a datamatch this only works for a device with one queue: KVM refuses
//        two wildcard ioeventfds on one address; several queues need datamatch = q)
//   cmdline += " " + MmioTransport::kernel_cmdline_entry(base, gsi);
// and the IrqLine's eventfd registered with KVM as the irqfd of `gsi`.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/event_fd.hpp"
#include "base/guest_memory.hpp"
#include "devices/bus.hpp"
#include "devices/irq_line.hpp"
#include "devices/virtio/device.hpp"
#include "devices/virtio/queue.hpp"

namespace hyper::virtio {

class MmioTransport final : public devices::BusDevice {
  public:
    // One page per device: registers, then the configuration space from 0x100.
    static constexpr uint64_t k_size = 0x1000;
    static constexpr uint64_t k_queue_notify_offset = 0x50;
    static constexpr uint64_t k_config_offset = 0x100;
    static constexpr uint32_t k_magic = 0x74726976; // "virt"
    static constexpr uint32_t k_version = 2;
    static constexpr uint32_t k_vendor_id = 0x52505948; // "HYPR"

    // `memory` must outlive the transport (the Machine owns both; devices go first).
    static Result<std::shared_ptr<MmioTransport>>
    create(std::unique_ptr<VirtioDevice> device, const GuestMemory& memory, devices::IrqLine irq);
    MmioTransport(const MmioTransport&) = delete;
    MmioTransport& operator=(const MmioTransport&) = delete;
    // Resets the device: its I/O thread is stopped before the queues go away.
    ~MmioTransport() override;

    const char* name() const override { return m_device->name(); }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // "virtio_mmio.device=4K@0xd0000000:5", the form drivers/virtio/virtio_mmio.c parses
    // (<size>@<base>:<irq>). `irq` must not be 0 (Linux refuses it).
    static std::string kernel_cmdline_entry(uint64_t base, uint32_t irq);

    size_t queue_count() const { return m_queues.size(); }
    // The device serves QueueNotify writes on the vCPU thread: register no ioeventfd.
    bool serves_on_notify() const { return m_device->serves_on_notify(); }
    // Register it as an ioeventfd on base + k_queue_notify_offset (see above).
    const EventFd& notify_eventfd(size_t queue) const { return m_notify.at(queue); }
    const devices::IrqLine& irq() const { return m_irq; }
    VirtioDevice& device() const { return *m_device; }

    // The device status register, NEEDS_RESET included.
    uint32_t status() const { return m_status.load(std::memory_order_acquire); }
    // The device changed its configuration: bump ConfigGeneration and, when the driver
    // is running, raise a configuration-change interrupt. Thread-safe.
    void notify_config_change();

  private:
    MmioTransport(std::unique_ptr<VirtioDevice> device, const GuestMemory& memory,
                  devices::IrqLine irq);
    uint32_t read_register(uint64_t offset);
    void write_register(uint64_t offset, uint32_t value);
    void write_status(uint32_t value);
    void write_queue_register(uint64_t offset, uint32_t value);
    bool features_acceptable() const;
    void activate_locked();
    void reset_locked();
    void set_needs_reset();              // thread-safe
    void raise(uint32_t interrupt_bits); // thread-safe
    Queue* selected_queue();

    std::mutex m_lock; // register state; never taken by the device's thread
    std::unique_ptr<VirtioDevice> m_device;
    const GuestMemory& m_memory;
    devices::IrqLine m_irq;
    std::vector<Queue> m_queues; // never resized: the device holds pointers
    std::vector<EventFd> m_notify;
    uint64_t m_device_features;
    uint64_t m_driver_features{0};
    uint32_t m_device_features_sel{0};
    uint32_t m_driver_features_sel{0};
    uint32_t m_queue_sel{0};
    bool m_active{false};
    std::atomic<uint32_t> m_status{0};
    std::atomic<uint32_t> m_interrupt_status{0};
    std::atomic<uint32_t> m_config_generation{0};
};

} // namespace hyper::virtio
