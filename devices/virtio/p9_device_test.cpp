#include "devices/virtio/p9_device.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

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

TEST_CASE("virtio-9p: Tread and Twrite data go straight between split guest buffers and the file") {
    TempDir dir;
    std::vector<uint8_t> file(100000);
    for (size_t i = 0; i < file.size(); i++)
        file[i] = static_cast<uint8_t>(i * 7 + i / 256);
    {
        Fd f(::open(dir.file("data.bin").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        REQUIRE(::write(f.get(), file.data(), file.size()) == static_cast<ssize_t>(file.size()));
    }
    auto dev = P9Device::create({dir.path(), "t", false});
    REQUIRE(dev);
    GuestMemory mem = make_memory(4 << 20);
    FakeDriver drv(mem, 16, 0x1000);
    auto transport =
        MmioTransport::create(std::move(*dev), mem, devices::IrqLine(EventFd::create().value()))
            .value();
    mmio_write(*transport, 0x14, 0);
    uint64_t features = mmio_read(*transport, 0x10);
    mmio_write(*transport, 0x14, 1);
    features |= uint64_t{mmio_read(*transport, 0x10)} << 32;
    REQUIRE((mmio_bring_up(*transport, features, drv) & k_status_driver_ok) != 0);

    // Sends one T-message, cut into readable buffers of the sizes in `cuts` (the rest in
    // one more; each cut 64 KiB apart); the reply lands in `out` (split as given);
    // returns the used length.
    uint16_t sent = 0;
    auto rpc = [&](auto fill, std::vector<Buffer> out, std::vector<uint32_t> cuts = {}) {
        std::vector<uint8_t> msg;
        p9::Writer w(msg);
        fill(w);
        w.finish();
        std::vector<Buffer> bufs;
        uint32_t at = 0;
        cuts.push_back(static_cast<uint32_t>(msg.size()));
        for (uint32_t cut : cuts) {
            uint32_t n = std::min<uint32_t>(cut, static_cast<uint32_t>(msg.size()) - at);
            uint64_t addr = 0x100000 + 0x10000 * bufs.size();
            REQUIRE(mem.write(GuestAddress(addr), std::span(msg.data() + at, n)));
            bufs.push_back({addr, n, false});
            at += n;
        }
        bufs.insert(bufs.end(), out.begin(), out.end());
        drv.add_chain(bufs);
        mmio_write(*transport, MmioTransport::k_queue_notify_offset, 0);
        sent++;
        REQUIRE(wait_until([&] { return drv.used_idx() == sent; }));
        return drv.used(sent - 1).len;
    };
    std::vector<Buffer> small{{0x200000, 4096, true}};
    rpc(
        [](p9::Writer& w) {
            w.begin(p9::k_tversion, p9::k_no_tag);
            w.u32(1 << 20);
            w.str("9P2000.L");
        },
        small);
    rpc(
        [](p9::Writer& w) {
            w.begin(p9::k_tattach, 1);
            w.u32(0);
            w.u32(p9::k_no_fid);
            w.str("");
            w.str("");
            w.u32(0);
        },
        small);
    rpc(
        [](p9::Writer& w) {
            w.begin(p9::k_twalk, 2);
            w.u32(0);
            w.u32(1);
            w.u16(1);
            w.str("data.bin");
        },
        small);
    rpc(
        [](p9::Writer& w) {
            w.begin(p9::k_tlopen, 3);
            w.u32(1);
            w.u32(0);
        },
        small);
    // The header itself split (5 + 20 bytes), then a page: 25 + 4096 - 11 data bytes fit.
    std::vector<Buffer> split{{0x200000, 5, true}, {0x200100, 20, true}, {0x201000, 4096, true}};
    uint32_t len = rpc(
        [](p9::Writer& w) {
            w.begin(p9::k_tread, 4);
            w.u32(1);
            w.u64(3);
            w.u32(50000);
        },
        split);
    uint32_t data_len = 5 + 20 + 4096 - 11;
    REQUIRE(len == 11 + data_len);
    std::vector<uint8_t> reply(len);
    REQUIRE(mem.read(GuestAddress(0x200000), std::span(reply.data(), 5)));
    REQUIRE(mem.read(GuestAddress(0x200100), std::span(reply.data() + 5, 20)));
    REQUIRE(mem.read(GuestAddress(0x201000), std::span(reply.data() + 25, len - 25)));
    p9::Reader r(reply);
    CHECK(r.u32() == len);
    CHECK(r.u8() == p9::k_tread + 1);
    CHECK(r.u16() == 4);
    CHECK(r.u32() == data_len);
    CHECK(std::equal(reply.begin() + 11, reply.end(), file.begin() + 3));

    // An error (a fid that is not open) still comes back as Rlerror.
    len = rpc(
        [](p9::Writer& w) {
            w.begin(p9::k_tread, 5);
            w.u32(0);
            w.u64(0);
            w.u32(100);
        },
        split);
    REQUIRE(mem.read(GuestAddress(0x200000), std::span(reply.data(), 5)));
    CHECK(reply[4] == p9::k_rlerror);

    // Twrite: the data is written from the guest's buffers, whichever way it is cut (the
    // header split 10 + 20 bytes, its last 7 bytes shared with the data).
    rpc(
        [](p9::Writer& w) {
            w.begin(p9::k_twalk, 6);
            w.u32(0);
            w.u32(3);
            w.u16(0);
        },
        small);
    rpc(
        [](p9::Writer& w) {
            w.begin(p9::k_tlcreate, 7);
            w.u32(3);
            w.str("out.bin");
            w.u32(O_RDWR);
            w.u32(0644);
            w.u32(0);
        },
        small);
    std::vector<uint8_t> data(30000);
    for (size_t i = 0; i < data.size(); i++)
        data[i] = static_cast<uint8_t>(i * 13 + 1);
    auto twrite = [&](uint64_t offset, uint32_t count, size_t bytes, std::vector<uint32_t> cuts) {
        uint32_t used = rpc(
            [&](p9::Writer& w) {
                w.begin(p9::k_twrite, 8);
                w.u32(3);
                w.u64(offset);
                w.u32(count);
                for (size_t i = 0; i < bytes; i++)
                    w.u8(data[i]);
            },
            small, cuts);
        std::vector<uint8_t> rep(used);
        REQUIRE(mem.read(GuestAddress(0x200000), std::span(rep)));
        return rep;
    };
    auto rep = twrite(5, 30000, 30000, {10, 20, 1000, 7});
    REQUIRE(rep.size() == 11);
    CHECK(rep[4] == p9::k_twrite + 1);
    p9::Reader wr(rep);
    wr.u32(), wr.u8(), wr.u16();
    CHECK(wr.u32() == 30000);
    std::vector<uint8_t> back(30005);
    {
        Fd f(::open(dir.file("out.bin").c_str(), O_RDONLY | O_CLOEXEC));
        REQUIRE(::read(f.get(), back.data(), back.size()) == 30005);
    }
    CHECK(std::equal(data.begin(), data.end(), back.begin() + 5));
    // A count that disagrees with the message's size is refused, whatever the cuts.
    CHECK(twrite(0, 30001, 30000, {23})[4] == p9::k_rlerror);
    CHECK(twrite(0, 29999, 30000, {23})[4] == p9::k_rlerror);
    CHECK(twrite(0, 30001, 30000, {})[4] == p9::k_rlerror);
    mmio_write(*transport, 0x70, 0);
}
