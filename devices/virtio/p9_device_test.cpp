#include "devices/virtio/p9_device.hpp"

#include <doctest/doctest.h>

#include "devices/virtio/mmio.hpp"
#include "devices/virtio/p9_test_client.hpp"
#include "devices/virtio/testing/block_rig.hpp"
#include "devices/virtio/testing/fake_driver.hpp"

using namespace hyper;
using namespace hyper::virtio;
using namespace hyper::virtio::testing;

TEST_CASE("virtio-9p: options are checked") {
    TempDir dir;
    auto missing = P9Device::create({dir.file("nope"), "tag", false});
    REQUIRE(!missing);
    CHECK(missing.error().exit_code() == ExitCode::NoInput);
    CHECK(missing.error().to_string().find(dir.file("nope")) != std::string::npos);
    CHECK(P9Device::create({dir.path(), "", false}).error().exit_code() == ExitCode::Usage);
    CHECK(P9Device::create({dir.path(), std::string(65, 't'), false}).error().exit_code() ==
          ExitCode::Usage);
}

TEST_CASE("virtio-9p: config tag and a Tversion round trip through the queue") {
    TempDir dir;
    auto dev = P9Device::create({dir.path(), "hostshare", false});
    REQUIRE(dev);
    GuestMemory mem = make_memory(4 << 20);
    FakeDriver drv(mem, 16, 0x1000);
    auto transport =
        MmioTransport::create(std::move(*dev), mem, devices::IrqLine(EventFd::create().value()))
            .value();
    CHECK(mmio_read(*transport, 0x08) == k_device_id_9p);
    mmio_write(*transport, 0x14, 0);
    uint64_t features = mmio_read(*transport, 0x10);
    CHECK((features & 1) == 1);
    mmio_write(*transport, 0x14, 1);
    features |= uint64_t{mmio_read(*transport, 0x10)} << 32;
    CHECK((mmio_read(*transport, 0x100) & 0xffff) == 9);
    std::string tag;
    for (uint64_t i = 0; i < 9; i++) {
        uint8_t b = 0;
        transport->read(0x102 + i, std::span(&b, 1));
        tag.push_back(static_cast<char>(b));
    }
    CHECK(tag == "hostshare");
    REQUIRE((mmio_bring_up(*transport, features, drv) & k_status_driver_ok) != 0);

    std::vector<uint8_t> msg;
    p9::Writer w(msg);
    w.begin(p9::k_tversion, p9::k_no_tag);
    w.u32(1 << 20);
    w.str("9P2000.L");
    w.finish();
    REQUIRE(mem.write(GuestAddress(0x100000), msg));
    // Request split over two readable buffers; reply over two writable ones.
    Buffer bufs[] = {{0x100000, 5, false},
                     {0x100005, static_cast<uint32_t>(msg.size() - 5), false},
                     {0x200000, 6, true},
                     {0x200100, 4096, true}};
    drv.add_chain(bufs);
    mmio_write(*transport, MmioTransport::k_queue_notify_offset, 0);
    REQUIRE(wait_until([&] { return drv.used_idx() == 1; }));
    UsedElem e = drv.used(0);
    CHECK(e.len == 4 + 1 + 2 + 4 + 2 + 8);
    std::vector<uint8_t> reply(e.len);
    REQUIRE(mem.read(GuestAddress(0x200000), std::span(reply.data(), 6)));
    REQUIRE(mem.read(GuestAddress(0x200100), std::span(reply.data() + 6, e.len - 6)));
    p9::Reader r(reply);
    CHECK(r.u32() == e.len);
    CHECK(r.u8() == p9::k_tversion + 1);
    CHECK(r.u16() == p9::k_no_tag);
    CHECK(r.u32() == p9::k_max_msize);
    CHECK(r.str() == "9P2000.L");

    // A reply that does not fit the writable space is not truncated: used length 0.
    Buffer tiny[] = {{0x100000, static_cast<uint32_t>(msg.size()), false}, {0x200000, 8, true}};
    drv.add_chain(tiny);
    mmio_write(*transport, MmioTransport::k_queue_notify_offset, 0);
    REQUIRE(wait_until([&] { return drv.used_idx() == 2; }));
    CHECK(drv.used(1).len == 0);
    mmio_write(*transport, 0x70, 0); // reset joins the thread
}
