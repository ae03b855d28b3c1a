#include "devices/virtio/mmio.hpp"

#include <doctest/doctest.h>

#include "devices/virtio/testing/fake_driver.hpp"

using namespace hyper;
using namespace hyper::virtio;
using namespace hyper::virtio::testing;

namespace {

constexpr uint64_t k_feature_a = feature_bit(3);
constexpr uint64_t k_feature_b = feature_bit(40);
constexpr uint32_t k_ack_driver = k_status_acknowledge | k_status_driver;
constexpr uint32_t k_until_features = k_ack_driver | k_status_features_ok;
constexpr uint64_t k_modern = feature_bit(k_f_version_1);

// Records what the transport asks of it.
struct FakeDevice final : VirtioDevice {
    const char* name() const override { return "fake"; }
    uint32_t device_id() const override { return 42; }
    uint64_t device_features() const override { return k_feature_a | k_feature_b; }
    std::span<const uint16_t> queue_max_sizes() const override { return sizes; }
    void read_config(uint64_t offset, std::span<uint8_t> data) const override {
        for (size_t i = 0; i < data.size(); i++)
            data[i] = offset + i < sizeof config ? config[offset + i] : 0;
    }
    void write_config(uint64_t offset, std::span<const uint8_t> data) override {
        for (size_t i = 0; i < data.size(); i++)
            if (offset + i < sizeof config)
                config[offset + i] = data[i];
    }
    Result<void> activate(ActivateContext ctx) override {
        activations++;
        if (fail_activation)
            return fail(ExitCode::Internal, "refused");
        features = ctx.features;
        queues = ctx.queues;
        notify = ctx.notify;
        signal_used = ctx.signal_used;
        needs_reset = ctx.needs_reset;
        return {};
    }
    void reset() override { resets++; }

    uint16_t sizes[2] = {16, 8};
    uint8_t config[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int activations = 0, resets = 0;
    bool fail_activation = false;
    uint64_t features = 0;
    std::vector<Queue*> queues;
    std::vector<const EventFd*> notify;
    std::function<void()> signal_used, needs_reset;
};

struct Rig {
    Rig() : mem(make_memory(1 << 20)), drv(mem, 16, 0x1000) {
        auto dev = std::make_unique<FakeDevice>();
        fake = dev.get();
        t = MmioTransport::create(std::move(dev), mem, devices::IrqLine(EventFd::create().value()))
                .value();
    }
    uint32_t rd(uint64_t off) { return mmio_read(*t, off); }
    void wr(uint64_t off, uint32_t v) { mmio_write(*t, off, v); }
    GuestMemory mem;
    FakeDriver drv;
    FakeDevice* fake;
    std::shared_ptr<MmioTransport> t;
};

} // namespace

TEST_CASE("virtio-mmio identifies itself and ignores odd accesses") {
    Rig r;
    CHECK(r.rd(0x000) == 0x74726976);
    CHECK(r.rd(0x004) == 2);
    CHECK(r.rd(0x008) == 42);
    CHECK(r.rd(0x00c) == MmioTransport::k_vendor_id);
    CHECK(r.rd(0x034) == 16); // QueueNumMax of queue 0
    r.wr(0x030, 1);
    CHECK(r.rd(0x034) == 8);
    r.wr(0x030, 2); // no such queue
    CHECK(r.rd(0x034) == 0);
    CHECK(r.rd(0x044) == 0);
    CHECK(r.rd(0x0b0) == 0xffffffff); // no shared memory region
    // Wrong widths, unaligned and unknown offsets read as 0.
    uint8_t b[2] = {0xff, 0xff};
    r.t->read(0x000, std::span(b, 2));
    CHECK((b[0] | b[1]) == 0);
    CHECK(r.rd(0x002) == 0);
    CHECK(r.rd(0x0f0) == 0);
    CHECK(r.rd(0x080) == 0); // write-only
    uint64_t wide = ~0ull;
    r.t->read(0x070, std::span(reinterpret_cast<uint8_t*>(&wide), 8));
    CHECK(wide == 0);
    // Writes to read-only registers, with odd widths, or unaligned change nothing.
    r.wr(0x000, 0);
    r.wr(0x034, 1);
    CHECK(r.rd(0x000) == 0x74726976);
    uint8_t one = k_status_acknowledge;
    r.t->write(0x070, std::span<const uint8_t>(&one, 1));
    r.wr(0x072, 1);
    CHECK(r.rd(0x070) == 0);
}

TEST_CASE("virtio-mmio offers device and transport features, 32 bits at a time") {
    Rig r;
    r.wr(0x014, 0);
    uint32_t low = r.rd(0x010);
    r.wr(0x014, 1);
    uint32_t high = r.rd(0x010);
    uint64_t offered = (uint64_t{high} << 32) | low;
    CHECK(offered == (k_feature_a | k_feature_b | feature_bit(k_f_version_1) |
                      feature_bit(k_f_ring_event_idx) | feature_bit(k_f_ring_indirect_desc)));
    r.wr(0x014, 2);
    CHECK(r.rd(0x010) == 0);
}

TEST_CASE("virtio-mmio sets FEATURES_OK only for a modern subset of the offer") {
    Rig r;
    r.wr(0x070, k_status_acknowledge);
    r.wr(0x070, k_ack_driver);
    uint64_t accepted = 0;
    bool ok = false;
    SUBCASE("without VERSION_1") {
        accepted = k_feature_a;
    }
    SUBCASE("with a feature the device lacks") {
        accepted = k_modern | feature_bit(7);
    }
    SUBCASE("a proper subset") {
        accepted = k_modern | k_feature_b;
        ok = true;
    }
    r.wr(0x024, 0);
    r.wr(0x020, static_cast<uint32_t>(accepted));
    r.wr(0x024, 1);
    r.wr(0x020, static_cast<uint32_t>(accepted >> 32));
    r.wr(0x070, k_until_features);
    CHECK(((r.rd(0x070) & k_status_features_ok) != 0) == ok);
    // DRIVER_OK needs FEATURES_OK.
    r.wr(0x070, k_until_features | k_status_driver_ok);
    CHECK(((r.rd(0x070) & k_status_driver_ok) != 0) == ok);
}

TEST_CASE("virtio-mmio status steps must come in order and cannot be undone") {
    Rig r;
    r.wr(0x070, k_status_driver); // DRIVER without ACKNOWLEDGE
    CHECK(r.rd(0x070) == 0);
    r.wr(0x070, k_ack_driver);
    CHECK(r.rd(0x070) == k_ack_driver);
    r.wr(0x070, k_status_acknowledge); // clearing DRIVER: ignored
    CHECK(r.rd(0x070) == k_ack_driver);
    r.wr(0x070, k_ack_driver | k_status_failed);
    CHECK(r.rd(0x070) == (k_ack_driver | k_status_failed));
    r.wr(0x070, 0);
    CHECK(r.rd(0x070) == 0);
}

TEST_CASE("virtio-mmio sets up queues, activates on DRIVER_OK and resets on 0") {
    Rig r;
    uint64_t features = k_modern | feature_bit(k_f_ring_event_idx) | k_feature_a;
    uint32_t status = mmio_bring_up(*r.t, features, r.drv);
    CHECK(status == (k_until_features | k_status_driver_ok));
    REQUIRE(r.fake->activations == 1);
    CHECK(r.fake->features == features);
    REQUIRE(r.fake->queues.size() == 2);
    Queue& q = *r.fake->queues[0];
    CHECK(q.ready());
    CHECK(q.size() == 16);
    CHECK(q.desc_table().value() == r.drv.desc_addr());
    CHECK(q.avail_ring().value() == r.drv.avail_addr());
    CHECK(q.used_ring().value() == r.drv.used_addr());
    CHECK(q.event_idx());
    CHECK_FALSE(r.fake->queues[1]->ready());
    CHECK(r.rd(0x044) == 1);
    // Frozen while running: size, addresses and ready cannot change.
    r.wr(0x038, 4);
    r.wr(0x080, 0x5000);
    r.wr(0x044, 0);
    CHECK(q.size() == 16);
    CHECK(q.desc_table().value() == r.drv.desc_addr());
    CHECK(q.ready());
    r.wr(0x070, 0);
    CHECK(r.fake->resets >= 1);
    CHECK(r.rd(0x070) == 0);
    CHECK(r.rd(0x044) == 0);
    CHECK(q.size() == 16);
    CHECK(q.desc_table().value() == 0);
    CHECK_FALSE(q.ready());
}

TEST_CASE("virtio-mmio refuses bad queue sizes and changes while the queue is ready") {
    Rig r;
    r.wr(0x070, k_status_acknowledge);
    r.wr(0x070, k_ack_driver);
    r.wr(0x024, 1);
    r.wr(0x020, 1); // VERSION_1
    r.wr(0x070, k_until_features);
    r.wr(0x030, 0);
    for (uint32_t bad : {12u, 32u, 0u, 0x10010u}) { // not a power of two, above max, 0
        r.wr(0x038, bad);
        r.wr(0x044, 1);
        CHECK(r.rd(0x044) == 0);
    }
    r.wr(0x038, 8);
    r.wr(0x080, 0x2000);
    r.wr(0x044, 1);
    CHECK(r.rd(0x044) == 1);
    r.wr(0x080, 0x3000); // ignored while ready
    r.wr(0x038, 4);
    r.wr(0x070, k_until_features | k_status_driver_ok);
    REQUIRE(r.fake->activations == 1);
    Queue& q = *r.fake->queues[0];
    CHECK(q.size() == 8);
    CHECK(q.desc_table().value() == 0x2000);
}

TEST_CASE("virtio-mmio fails activation into NEEDS_RESET") {
    Rig r;
    SUBCASE("the device refuses") {
        r.fake->fail_activation = true;
    }
    SUBCASE("a ready queue outside guest memory") {
        r.drv = FakeDriver(r.mem, 16, (1 << 20) - 0x100);
    }
    mmio_bring_up(*r.t, k_modern, r.drv);
    CHECK((r.rd(0x070) & k_status_needs_reset) != 0);
    CHECK((r.rd(0x060) & k_interrupt_config_change) != 0);
    CHECK(r.t->irq().take_count() >= 1);
    r.wr(0x070, 0);
    CHECK(r.rd(0x070) == 0);
    CHECK(r.rd(0x060) == 0);
}

TEST_CASE("virtio-mmio QueueNotify signals the queue's eventfd") {
    Rig r;
    mmio_bring_up(*r.t, k_modern, r.drv);
    CHECK(r.t->notify_eventfd(0).consume() == 0);
    r.wr(MmioTransport::k_queue_notify_offset, 0);
    r.wr(MmioTransport::k_queue_notify_offset, 0);
    CHECK(r.t->notify_eventfd(0).consume() == 2);
    r.wr(MmioTransport::k_queue_notify_offset, 1);
    CHECK(r.t->notify_eventfd(1).consume() == 1);
    r.wr(MmioTransport::k_queue_notify_offset, 7); // no such queue: ignored
    CHECK(r.t->notify_eventfd(0).consume() == 0);
    REQUIRE(r.fake->notify.size() == 2);
    CHECK(r.fake->notify[0] == &r.t->notify_eventfd(0));
}

TEST_CASE("virtio-mmio interrupt status, acknowledge and NEEDS_RESET") {
    Rig r;
    mmio_bring_up(*r.t, k_modern, r.drv);
    r.fake->signal_used();
    CHECK(r.rd(0x060) == k_interrupt_used_buffer);
    CHECK(r.t->irq().take_count() == 1);
    r.wr(0x060, 0); // InterruptStatus is read-only
    CHECK(r.rd(0x060) == k_interrupt_used_buffer);
    r.wr(0x064, k_interrupt_used_buffer);
    CHECK(r.rd(0x060) == 0);
    r.fake->needs_reset();
    CHECK((r.rd(0x070) & k_status_needs_reset) != 0);
    CHECK(r.rd(0x060) == k_interrupt_config_change);
    // The driver's next status write keeps NEEDS_RESET; only a reset clears it.
    r.wr(0x070, k_until_features | k_status_driver_ok | k_status_failed);
    CHECK((r.rd(0x070) & k_status_needs_reset) != 0);
    r.wr(0x070, 0);
    CHECK(r.rd(0x070) == 0);
}

TEST_CASE("virtio-mmio configuration space takes any width and bumps its generation") {
    Rig r;
    uint8_t b = 0;
    r.t->read(0x101, std::span(&b, 1));
    CHECK(b == 2);
    uint16_t w = 0;
    r.t->read(0x102, std::span(reinterpret_cast<uint8_t*>(&w), 2));
    CHECK(w == 0x0403);
    CHECK(r.rd(0x104) == 0x08070605);
    CHECK(r.rd(0x108) == 0); // past the device's configuration
    CHECK(r.rd(MmioTransport::k_size - 4) == 0);
    r.wr(0x100, 0xaabbccdd);
    CHECK(r.fake->config[0] == 0xdd);
    CHECK(r.rd(0x0fc) == 0);
    r.t->notify_config_change();
    CHECK(r.rd(0x0fc) == 1);
    CHECK(r.t->irq().take_count() == 0); // the driver is not running: no interrupt
}

TEST_CASE("virtio-mmio kernel command line entry matches what Linux parses") {
    CHECK(MmioTransport::kernel_cmdline_entry(0xd0000000, 5) ==
          "virtio_mmio.device=4K@0xd0000000:5");
    CHECK(MmioTransport::kernel_cmdline_entry(0x1000000000, 12) ==
          "virtio_mmio.device=4K@0x1000000000:12");
}
