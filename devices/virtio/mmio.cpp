#include "devices/virtio/mmio.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "base/log.hpp"
#include "devices/virtio/spec.hpp"

namespace hyper::virtio {

namespace {

// Register offsets of virtio-mmio version 2 (spec 4.2.2).
constexpr uint64_t REG_MAGIC = 0x000;
constexpr uint64_t REG_VERSION = 0x004;
constexpr uint64_t REG_DEVICE_ID = 0x008;
constexpr uint64_t REG_VENDOR_ID = 0x00c;
constexpr uint64_t REG_DEVICE_FEATURES = 0x010;
constexpr uint64_t REG_DEVICE_FEATURES_SEL = 0x014;
constexpr uint64_t REG_DRIVER_FEATURES = 0x020;
constexpr uint64_t REG_DRIVER_FEATURES_SEL = 0x024;
constexpr uint64_t REG_QUEUE_SEL = 0x030;
constexpr uint64_t REG_QUEUE_NUM_MAX = 0x034;
constexpr uint64_t REG_QUEUE_NUM = 0x038;
constexpr uint64_t REG_QUEUE_READY = 0x044;
constexpr uint64_t REG_QUEUE_NOTIFY = 0x050;
constexpr uint64_t REG_INTERRUPT_STATUS = 0x060;
constexpr uint64_t REG_INTERRUPT_ACK = 0x064;
constexpr uint64_t REG_STATUS = 0x070;
constexpr uint64_t REG_QUEUE_DESC_LOW = 0x080;
constexpr uint64_t REG_QUEUE_DESC_HIGH = 0x084;
constexpr uint64_t REG_QUEUE_DRIVER_LOW = 0x090;
constexpr uint64_t REG_QUEUE_DRIVER_HIGH = 0x094;
constexpr uint64_t REG_QUEUE_DEVICE_LOW = 0x0a0;
constexpr uint64_t REG_QUEUE_DEVICE_HIGH = 0x0a4;
constexpr uint64_t REG_SHM_LEN_LOW = 0x0b0;
constexpr uint64_t REG_SHM_LEN_HIGH = 0x0b4;
constexpr uint64_t REG_CONFIG_GENERATION = 0x0fc;

constexpr uint32_t k_known_status = k_status_acknowledge | k_status_driver | k_status_driver_ok |
                                    k_status_features_ok | k_status_failed;
constexpr uint64_t k_transport_features = feature_bit(k_f_version_1) |
                                          feature_bit(k_f_ring_event_idx) |
                                          feature_bit(k_f_ring_indirect_desc);

uint64_t replace_half(uint64_t value, bool high, uint32_t half) {
    if (high)
        return (value & 0xffffffffull) | (uint64_t{half} << 32);
    return (value & ~0xffffffffull) | half;
}

} // namespace

Result<std::shared_ptr<MmioTransport>> MmioTransport::create(std::unique_ptr<VirtioDevice> device,
                                                             const GuestMemory& memory,
                                                             devices::IrqLine irq) {
    std::shared_ptr<MmioTransport> t(new MmioTransport(std::move(device), memory, std::move(irq)));
    for (size_t i = 0; i < t->m_queues.size(); i++)
        t->m_notify.push_back(TRY(EventFd::create()));
    return t;
}

MmioTransport::MmioTransport(std::unique_ptr<VirtioDevice> device, const GuestMemory& memory,
                             devices::IrqLine irq)
    : m_device(std::move(device)), m_memory(memory), m_irq(std::move(irq)),
      m_device_features(m_device->device_features() | k_transport_features) {
    for (uint16_t max : m_device->queue_max_sizes())
        m_queues.emplace_back(max);
}

MmioTransport::~MmioTransport() {
    std::lock_guard guard(m_lock);
    m_device->reset();
}

std::string MmioTransport::kernel_cmdline_entry(uint64_t base, uint32_t irq) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "virtio_mmio.device=%" PRIu64 "K@0x%" PRIx64 ":%" PRIu32,
                  k_size / 1024, base, irq);
    return buf;
}

void MmioTransport::read(uint64_t offset, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0);
    if (offset >= k_config_offset) {
        if (offset < k_size)
            m_device->read_config(offset - k_config_offset, data);
        return;
    }
    if (data.size() != 4 || offset % 4 != 0)
        return;
    std::lock_guard guard(m_lock);
    uint32_t value = read_register(offset);
    std::memcpy(data.data(), &value, 4);
}

void MmioTransport::write(uint64_t offset, std::span<const uint8_t> data) {
    if (offset >= k_config_offset) {
        if (offset < k_size)
            m_device->write_config(offset - k_config_offset, data);
        return;
    }
    if (data.size() != 4 || offset % 4 != 0)
        return;
    uint32_t value;
    std::memcpy(&value, data.data(), 4);
    std::lock_guard guard(m_lock);
    write_register(offset, value);
}

Queue* MmioTransport::selected_queue() {
    return m_queue_sel < m_queues.size() ? &m_queues[m_queue_sel] : nullptr;
}

uint32_t MmioTransport::read_register(uint64_t offset) {
    Queue* q = selected_queue();
    switch (offset) {
    case REG_MAGIC: return k_magic;
    case REG_VERSION: return k_version;
    case REG_DEVICE_ID: return m_device->device_id();
    case REG_VENDOR_ID: return k_vendor_id;
    case REG_DEVICE_FEATURES:
        if (m_device_features_sel > 1)
            return 0;
        return static_cast<uint32_t>(m_device_features >> (32 * m_device_features_sel));
    case REG_QUEUE_NUM_MAX: return q ? q->max_size() : 0;
    case REG_QUEUE_READY: return q && q->ready() ? 1 : 0;
    case REG_INTERRUPT_STATUS: return m_interrupt_status.load(std::memory_order_acquire);
    case REG_STATUS: return m_status.load(std::memory_order_acquire);
    case REG_SHM_LEN_LOW:
    case REG_SHM_LEN_HIGH: return 0xffffffff; // no shared memory regions
    case REG_CONFIG_GENERATION: return m_config_generation.load(std::memory_order_acquire);
    default: return 0; // write-only or unknown
    }
}

void MmioTransport::write_register(uint64_t offset, uint32_t value) {
    uint32_t status = m_status.load(std::memory_order_acquire);
    switch (offset) {
    case REG_DEVICE_FEATURES_SEL: m_device_features_sel = value; break;
    case REG_DRIVER_FEATURES_SEL: m_driver_features_sel = value; break;
    case REG_DRIVER_FEATURES:
        // Only while negotiating: after DRIVER, before FEATURES_OK.
        if ((status & k_status_driver) && !(status & k_status_features_ok) &&
            m_driver_features_sel <= 1)
            m_driver_features = replace_half(m_driver_features, m_driver_features_sel == 1, value);
        break;
    case REG_QUEUE_SEL: m_queue_sel = value; break;
    case REG_QUEUE_NOTIFY:
        if (value >= m_notify.size())
            break;
        if (!m_device->serves_on_notify())
            m_notify[value].signal();
        else if (m_active)
            m_device->notify(value); // served here, on this vCPU thread
        break;
    case REG_INTERRUPT_ACK: m_interrupt_status.fetch_and(~value, std::memory_order_acq_rel); break;
    case REG_STATUS: write_status(value); break;
    default: write_queue_register(offset, value); break;
    }
}

void MmioTransport::write_queue_register(uint64_t offset, uint32_t value) {
    Queue* q = selected_queue();
    // A queue's set-up is frozen while it is enabled and once the device runs.
    if (!q || m_active || (m_status.load(std::memory_order_acquire) & k_status_driver_ok))
        return;
    if (offset == REG_QUEUE_READY) {
        if (value == 0) {
            q->set_ready(false);
        } else if (value == 1 && !q->ready()) {
            uint16_t size = q->size();
            // Refused sizes leave the queue disabled; activation then fails.
            if (size != 0 && size <= q->max_size() && (size & (size - 1)) == 0)
                q->set_ready(true);
        }
        return;
    }
    if (q->ready())
        return;
    switch (offset) {
    case REG_QUEUE_NUM: q->set_size(value <= 0xffff ? static_cast<uint16_t>(value) : 0); break;
    case REG_QUEUE_DESC_LOW:
    case REG_QUEUE_DESC_HIGH:
        q->set_desc_table(GuestAddress(
            replace_half(q->desc_table().value(), offset == REG_QUEUE_DESC_HIGH, value)));
        break;
    case REG_QUEUE_DRIVER_LOW:
    case REG_QUEUE_DRIVER_HIGH:
        q->set_avail_ring(GuestAddress(
            replace_half(q->avail_ring().value(), offset == REG_QUEUE_DRIVER_HIGH, value)));
        break;
    case REG_QUEUE_DEVICE_LOW:
    case REG_QUEUE_DEVICE_HIGH:
        q->set_used_ring(GuestAddress(
            replace_half(q->used_ring().value(), offset == REG_QUEUE_DEVICE_HIGH, value)));
        break;
    default: break; // read-only or unknown: ignored
    }
}

bool MmioTransport::features_acceptable() const {
    return (m_driver_features & feature_bit(k_f_version_1)) &&
           (m_driver_features & ~m_device_features) == 0;
}

void MmioTransport::write_status(uint32_t value) {
    if (value == 0) {
        reset_locked();
        return;
    }
    uint32_t old = m_status.load(std::memory_order_acquire);
    uint32_t old_bits = old & ~k_status_needs_reset;
    if (old_bits & ~value)
        return; // the driver may set bits, only a reset clears them
    value &= k_known_status;
    uint32_t added = value & ~old_bits;
    // Each step needs the one before it; a step out of order is not taken.
    if (!(value & k_status_acknowledge))
        value &= ~k_status_driver;
    if (!(value & k_status_driver))
        value &= ~k_status_features_ok;
    if ((added & k_status_features_ok) && !features_acceptable())
        value &= ~k_status_features_ok;
    if (!(value & k_status_features_ok))
        value &= ~k_status_driver_ok;
    // Keep NEEDS_RESET if the device thread set it meanwhile.
    uint32_t expected = old;
    while (!m_status.compare_exchange_weak(expected, value | (expected & k_status_needs_reset),
                                           std::memory_order_acq_rel)) {
    }
    bool start = (added & value & k_status_driver_ok) && !(value & k_status_failed) &&
                 !(expected & k_status_needs_reset);
    if (start)
        activate_locked();
}

void MmioTransport::activate_locked() {
    uint64_t features = m_driver_features;
    ActivateContext ctx{m_memory,
                        features,
                        {},
                        {},
                        [this] { raise(k_interrupt_used_buffer); },
                        [this] { set_needs_reset(); }};
    for (size_t i = 0; i < m_queues.size(); i++) {
        Queue& q = m_queues[i];
        if (q.ready() && !q.valid(m_memory)) {
            LOG_WARN("%s: queue %zu is outside guest memory or misaligned", name(), i);
            set_needs_reset();
            return;
        }
        q.set_features(features & feature_bit(k_f_ring_event_idx),
                       features & feature_bit(k_f_ring_indirect_desc));
        ctx.queues.push_back(&q);
        ctx.notify.push_back(&m_notify[i]);
    }
    auto result = m_device->activate(std::move(ctx));
    if (!result) {
        LOG_WARN("%s: cannot start: %s", name(), result.error().to_string().c_str());
        set_needs_reset();
        return;
    }
    m_active = true;
}

void MmioTransport::reset_locked() {
    m_device->reset(); // returns once the device thread is gone
    m_active = false;
    for (auto& q : m_queues)
        q.reset();
    for (auto& e : m_notify)
        e.consume();
    m_driver_features = 0;
    m_device_features_sel = m_driver_features_sel = m_queue_sel = 0;
    m_interrupt_status.store(0, std::memory_order_release);
    m_status.store(0, std::memory_order_release);
}

void MmioTransport::set_needs_reset() {
    m_status.fetch_or(k_status_needs_reset, std::memory_order_acq_rel);
    raise(k_interrupt_config_change);
}

void MmioTransport::raise(uint32_t interrupt_bits) {
    m_interrupt_status.fetch_or(interrupt_bits, std::memory_order_acq_rel);
    m_irq.trigger();
}

void MmioTransport::notify_config_change() {
    m_config_generation.fetch_add(1, std::memory_order_acq_rel);
    if (m_status.load(std::memory_order_acquire) & k_status_driver_ok)
        raise(k_interrupt_config_change);
}

} // namespace hyper::virtio
