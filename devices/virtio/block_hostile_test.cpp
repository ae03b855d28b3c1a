// virtio-blk against a driver that breaks the rules: malformed requests get an error
// status (or a used length of 0), a broken ring gets NEEDS_RESET, and nothing crashes,
// hangs or touches memory outside the guest.
#include <doctest/doctest.h>

#include "devices/virtio/block.hpp"
#include "devices/virtio/testing/block_rig.hpp"

using namespace hyper;
using namespace hyper::virtio;
using namespace hyper::virtio::testing;

namespace {

constexpr uint64_t k_image_size = 1 << 20;

struct HostileRig {
    explicit HostileRig(bool uring) {
        REQUIRE(write_image(dir.file("disk.img"), k_image_size));
        BlockOptions options;
        options.path = dir.file("disk.img");
        options.use_io_uring = uring;
        rig.emplace(Block::open(options).value());
        REQUIRE((rig->bring_up() & k_status_driver_ok) != 0);
    }
    // A valid request still works afterwards.
    void check_still_works() {
        BlockRig& r = *rig;
        Completed c = r.run(blk::k_t_in, 0, {{r.data(5), 512, true}});
        CHECK(c.status == blk::k_s_ok);
        CHECK(c.used_len == 513);
    }
    TempDir dir;
    std::optional<BlockRig> rig;
};

void malformed_requests(bool uring) {
    HostileRig h(uring);
    BlockRig& r = *h.rig;
    uint64_t hdr = BlockRig::k_headers + 0x800;
    uint64_t st = BlockRig::k_statuses + 0x80;

    SUBCASE("a header of 8 bytes") {
        (void)r.mem.write_obj<uint64_t>(GuestAddress(hdr), 0);
        Buffer bufs[] = {{hdr, 8, false}, {st, 1, true}};
        CHECK(r.run_raw(r.drv.build_chain(bufs)) == 1u);
        CHECK(r.bytes(st, 1)[0] == blk::k_s_ioerr);
    }
    SUBCASE("a header split over two descriptors is fine") {
        blk::RequestHeader header{blk::k_t_in, 0, 0};
        (void)r.mem.write_obj(GuestAddress(hdr), header);
        Buffer bufs[] = {
            {hdr, 8, false}, {hdr + 8, 8, false}, {r.data(0), 512, true}, {st, 1, true}};
        CHECK(r.run_raw(r.drv.build_chain(bufs)) == 513u);
        CHECK(r.bytes(st, 1)[0] == blk::k_s_ok);
    }
    SUBCASE("the status byte shares the data's last descriptor") {
        blk::RequestHeader header{blk::k_t_in, 0, 1};
        (void)r.mem.write_obj(GuestAddress(hdr), header);
        Buffer bufs[] = {{hdr, 16, false}, {r.data(0), 513, true}};
        CHECK(r.run_raw(r.drv.build_chain(bufs)) == 513u);
        CHECK(r.bytes(r.data(0) + 512, 1)[0] == blk::k_s_ok);
    }
    SUBCASE("no writable byte for the status") {
        blk::RequestHeader header{blk::k_t_in, 0, 0};
        (void)r.mem.write_obj(GuestAddress(hdr), header);
        Buffer bufs[] = {{hdr, 16, false}};
        CHECK(r.run_raw(r.drv.build_chain(bufs)) == 0u);
    }
    SUBCASE("unknown request type") {
        CHECK(r.run(99, 0, {}).status == blk::k_s_unsupp);
    }
    SUBCASE("a read with device-readable data") {
        CHECK(r.run(blk::k_t_in, 0, {{r.data(0), 512, false}}).status == blk::k_s_ioerr);
    }
    SUBCASE("a write with device-writable data") {
        CHECK(r.run(blk::k_t_out, 0, {{r.data(0), 512, true}}).status == blk::k_s_ioerr);
        CHECK(read_image(h.dir.file("disk.img"), 0, 1)[0] == 0);
    }
    SUBCASE("a length that is not a multiple of 512") {
        CHECK(r.run(blk::k_t_in, 0, {{r.data(0), 100, true}}).status == blk::k_s_ioerr);
        CHECK(r.run(blk::k_t_out, 0, {{r.data(0), 700, false}}).status == blk::k_s_ioerr);
    }
    SUBCASE("GET_ID with readable data") {
        CHECK(r.run(blk::k_t_get_id, 0, {{r.data(0), 20, false}}).status == blk::k_s_ioerr);
    }
    SUBCASE("zero-length read") {
        CHECK(r.run(blk::k_t_in, 2048, {}).status == blk::k_s_ok);
    }
    h.check_still_works();
}

void refused_chains(bool uring) {
    HostileRig h(uring);
    BlockRig& r = *h.rig;
    uint16_t head = 40;
    SUBCASE("a loop") {
        r.drv.write_desc(40, BlockRig::k_headers, 16, k_desc_f_next, 41);
        r.drv.write_desc(41, r.data(0), 512, k_desc_f_next | k_desc_f_write, 40);
    }
    SUBCASE("a buffer wrapping around 2^64") {
        r.drv.write_desc(40, BlockRig::k_headers, 16, k_desc_f_next, 41);
        r.drv.write_desc(41, UINT64_MAX - 255, 512, k_desc_f_write);
    }
    SUBCASE("a buffer past the end of guest memory") {
        r.drv.write_desc(40, BlockRig::k_headers, 16, k_desc_f_next, 41);
        r.drv.write_desc(41, (8 << 20) - 256, 512, k_desc_f_write);
    }
    SUBCASE("nested indirect") {
        r.drv.write_desc(40, BlockRig::k_tables, 16, k_desc_f_indirect);
        r.drv.write_desc_at(BlockRig::k_tables, 0, BlockRig::k_tables + 0x100, 16,
                            k_desc_f_indirect);
    }
    SUBCASE("indirect table length not a multiple of 16") {
        r.drv.write_desc(40, BlockRig::k_tables, 40, k_desc_f_indirect);
    }
    CHECK(r.run_raw(head) == 0u);
    CHECK((mmio_read(*r.transport, 0x070) & k_status_needs_reset) == 0);
    h.check_still_works();
}

void broken_ring(bool uring) {
    HostileRig h(uring);
    BlockRig& r = *h.rig;
    SUBCASE("avail idx jumps by more than the queue size") {
        r.drv.set_avail_idx(BlockRig::k_queue + 1);
    }
    SUBCASE("head index out of range") {
        r.drv.publish(BlockRig::k_queue);
    }
    r.notify();
    CHECK(wait_until([&] { return (mmio_read(*r.transport, 0x070) & k_status_needs_reset) != 0; }));
    CHECK((mmio_read(*r.transport, 0x060) & k_interrupt_config_change) != 0);
    CHECK(r.drv.used_idx() == 0);
    // The driver resets the device and starts over.
    CHECK((r.restart() & k_status_driver_ok) != 0);
    CHECK((mmio_read(*r.transport, 0x070) & k_status_needs_reset) == 0);
    h.check_still_works();
}

void reset_in_flight(bool uring) {
    HostileRig h(uring);
    BlockRig& r = *h.rig;
    for (unsigned i = 0; i < 16; i++)
        r.queue_request(i, blk::k_t_in, 16 * i, {{r.data(i), 65536, true}});
    r.notify();
    mmio_write(*r.transport, 0x070, 0); // returns only once the I/O thread is gone
    CHECK(mmio_read(*r.transport, 0x070) == 0);
    uint16_t used = r.drv.used_idx();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(r.drv.used_idx() == used); // nothing written to the rings after the reset
    CHECK((r.restart() & k_status_driver_ok) != 0);
    h.check_still_works();
}

} // namespace

TEST_CASE("virtio-blk refuses to start without its queue") {
    TempDir dir;
    REQUIRE(write_image(dir.file("disk.img"), k_image_size));
    BlockOptions options;
    options.path = dir.file("disk.img");
    BlockRig r(Block::open(options).value());
    uint64_t f = r.offered_features();
    mmio_write(*r.transport, 0x070, k_status_acknowledge);
    mmio_write(*r.transport, 0x070, k_status_acknowledge | k_status_driver);
    mmio_write(*r.transport, 0x024, 1);
    mmio_write(*r.transport, 0x020, static_cast<uint32_t>(f >> 32));
    uint32_t s = k_status_acknowledge | k_status_driver | k_status_features_ok;
    mmio_write(*r.transport, 0x070, s);
    mmio_write(*r.transport, 0x070, s | k_status_driver_ok); // queue 0 never enabled
    CHECK((mmio_read(*r.transport, 0x070) & k_status_needs_reset) != 0);
}

TEST_CASE("virtio-blk answers malformed requests with an error status") {
    SUBCASE("io_uring") {
        malformed_requests(true);
    }
    SUBCASE("synchronous") {
        malformed_requests(false);
    }
}

TEST_CASE("virtio-blk completes refused chains with length 0 and goes on") {
    SUBCASE("io_uring") {
        refused_chains(true);
    }
    SUBCASE("synchronous") {
        refused_chains(false);
    }
}

TEST_CASE("virtio-blk asks for a reset when the ring is broken, and recovers") {
    SUBCASE("io_uring") {
        broken_ring(true);
    }
    SUBCASE("synchronous") {
        broken_ring(false);
    }
}

TEST_CASE("virtio-blk resets cleanly with requests in flight") {
    SUBCASE("io_uring") {
        reset_in_flight(true);
    }
    SUBCASE("synchronous") {
        reset_in_flight(false);
    }
}
