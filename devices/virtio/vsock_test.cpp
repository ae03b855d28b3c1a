// virtio-vsock against a fake guest driver and real Unix sockets on the host side.
#include "devices/virtio/vsock.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "devices/virtio/vsock_test_rig.hpp"

using namespace hyper;
using namespace hyper::virtio;
using namespace hyper::virtio::testing;

namespace {

// "g12" (g++ 12 warns wrongly about "g" + std::to_string(i): -Wrestrict).
std::string tag(char c, uint32_t i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%c%u", c, i);
    return buf;
}

} // namespace

TEST_CASE("vsock offers its device id, queues and guest CID") {
    VsockFixture f;
    REQUIRE(f.rig);
    VsockRig& r = *f.rig;
    MmioTransport& t = *r.transport;
    CHECK(mmio_read(t, 0x008) == k_device_id_vsock);
    for (uint32_t q = 0; q < 3; q++) {
        mmio_write(t, 0x30, q);
        CHECK(mmio_read(t, 0x034) == Vsock::k_queue_size);
    }
    mmio_write(t, 0x30, 3);
    CHECK(mmio_read(t, 0x034) == 0);
    CHECK(mmio_read(t, 0x100) == k_test_guest_cid);
    CHECK(mmio_read(t, 0x104) == 0);
    CHECK(mmio_read(t, 0x108) == 0);
    mmio_write(t, 0x14, 0);
    CHECK(mmio_read(t, 0x10) == static_cast<uint32_t>(feature_bit(k_f_ring_event_idx) |
                                                      feature_bit(k_f_ring_indirect_desc)));
    CHECK(r.bring_up() == k_vsock_running);
}

TEST_CASE("vsock creation checks the CID and the socket path") {
    TempDir dir;
    std::string path = dir.file("v.sock");
    auto bad_cid = Vsock::create({2, path});
    REQUIRE_FALSE(bad_cid);
    CHECK(bad_cid.error().exit_code() == ExitCode::Usage);
    CHECK_FALSE(Vsock::create({uint64_t{1} << 32, path}));
    auto empty = Vsock::create({3, ""});
    REQUIRE_FALSE(empty);
    CHECK(empty.error().exit_code() == ExitCode::Usage);
    CHECK_FALSE(Vsock::create({3, dir.file(std::string(100, 'x'))}));
    auto no_dir = Vsock::create({3, dir.file("missing/v.sock")});
    REQUIRE_FALSE(no_dir);
    CHECK(no_dir.error().exit_code() == ExitCode::CantCreate);

    {
        auto first = Vsock::create({3, path});
        REQUIRE(first);
        struct stat st {};
        CHECK(::stat(path.c_str(), &st) == 0);
        CHECK(S_ISSOCK(st.st_mode));
        // Somebody listens there: a second device is refused, the socket left alone.
        auto second = Vsock::create({4, path});
        REQUIRE_FALSE(second);
        CHECK(second.error().exit_code() == ExitCode::CantCreate);
        CHECK(second.error().message().find("in use") != std::string::npos);
        CHECK(host_connect(path).valid());
    }
    CHECK(::access(path.c_str(), F_OK) != 0); // removed on destruction

    // A stale socket file (bound, nobody listening) is replaced.
    {
        Fd stale(::socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un addr = unix_addr(path);
        REQUIRE(::bind(stale.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    {
        auto replaced = Vsock::create({3, path});
        REQUIRE(replaced);
        CHECK(host_connect(path).valid());
    }
    // Anything else at the path is not ours to remove.
    std::string file = dir.file("plain");
    Fd(::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    auto not_socket = Vsock::create({3, file});
    REQUIRE_FALSE(not_socket);
    CHECK(not_socket.error().exit_code() == ExitCode::CantCreate);
    CHECK(::access(file.c_str(), F_OK) == 0);
}

TEST_CASE("vsock host-initiated connection: CONNECT, OK and data both ways") {
    bool split = false;
    SUBCASE("one-descriptor RX buffers") {
        split = false;
    }
    SUBCASE("header and payload in separate RX descriptors") {
        split = true;
    }
    VsockFixture f(split);
    REQUIRE(f.rig);
    VsockRig& r = *f.rig;
    REQUIRE(r.bring_up() == k_vsock_running);
    uint32_t local = 0;
    // Bytes right behind the CONNECT line belong to the stream.
    Fd host = host_initiated(r, f.uds, 1234, local, "early;");
    REQUIRE(host.valid());
    CHECK(r.dev->counters().connections == 1);

    REQUIRE(write_all(host.get(), "hello from the host"));
    CHECK(r.wait_data(1234, local, 25));
    CHECK(r.received_text(1234, local) == "early;hello from the host");

    REQUIRE(r.write(1234, local, "hello from the guest"));
    CHECK(read_exact(host.get(), 20) == to_bytes("hello from the guest"));

    // 200 KiB from the host: many packets, none larger than a buffer or the credit.
    auto big = pattern(200 * 1024, 1);
    std::jthread writer([&] { write_all(host.get(), big); });
    bool got = r.wait_data(1234, local, 25 + big.size());
    writer.join();
    REQUIRE(got);
    auto& data = r.conn(1234, local).data;
    CHECK(std::equal(big.begin(), big.end(), data.begin() + 25));
    CHECK(r.bad_rx == 0);

    // The guest closes: SHUTDOWN both, the device answers RST, the host sees EOF.
    REQUIRE(r.send_op(vsock::k_op_shutdown, 1234, local, vsock::k_shutdown_both));
    CHECK(r.wait_op(vsock::k_op_rst, 1234));
    CHECK(sees_eof(host.get()));
    CHECK(wait_until([&] { return r.dev->counters().connections == 0; }));
}

TEST_CASE("vsock guest-initiated connection to <uds>_<port>: data both ways") {
    VsockFixture f;
    REQUIRE(f.rig);
    VsockRig& r = *f.rig;
    REQUIRE(r.bring_up() == k_vsock_running);
    Fd listener = host_listen(f.uds + "_5000");
    REQUIRE(listener.valid());

    auto answer = r.connect(40000, 5000);
    REQUIRE(answer);
    CHECK(answer->hdr.op == vsock::k_op_response);
    CHECK(answer->hdr.buf_alloc == HostCredit::k_buf_alloc);
    CHECK(answer->hdr.fwd_cnt == 0);
    Fd host = host_accept(listener.get());
    REQUIRE(host.valid());

    // 600 KiB from the guest: more than the device's 256 KiB buffer, so the guest must
    // wait for CREDIT_UPDATEs while the host reads.
    auto up = pattern(600 * 1024, 2);
    std::vector<uint8_t> got_up;
    std::jthread reader([&] { got_up = read_exact(host.get(), up.size()); });
    bool sent = r.write(40000, 5000, up, 32 * 1024);
    reader.join();
    CHECK(sent);
    CHECK(got_up == up);

    auto down = pattern(100 * 1024, 3);
    REQUIRE(write_all(host.get(), down));
    REQUIRE(r.wait_data(40000, 5000, down.size()));
    CHECK(r.conn(40000, 5000).data == down);

    // The host closes: SHUTDOWN both, the guest answers RST, nothing is left.
    host.reset();
    auto shut = r.wait_op(vsock::k_op_shutdown, 40000);
    REQUIRE(shut);
    CHECK(shut->hdr.flags == vsock::k_shutdown_both);
    REQUIRE(r.send_op(vsock::k_op_rst, 40000, 5000));
    CHECK(wait_until([&] { return r.dev->counters().connections == 0; }));
    CHECK(r.bad_rx == 0);
}

TEST_CASE("vsock guest connect to a port nobody listens on is reset at once") {
    VsockFixture f;
    REQUIRE(f.rig);
    VsockRig& r = *f.rig;
    REQUIRE(r.bring_up() == k_vsock_running);
    auto start = std::chrono::steady_clock::now();
    auto answer = r.connect(40001, 6000);
    REQUIRE(answer);
    CHECK(answer->hdr.op == vsock::k_op_rst);
    CHECK(answer->hdr.src_port == 6000);
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    CHECK(r.dev->counters().resets_sent == 1);
    CHECK(r.dev->counters().connections == 0);
    // A socket file without a listener is refused the same way.
    {
        Fd stale(::socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un addr = unix_addr(f.uds + "_6001");
        REQUIRE(::bind(stale.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    answer = r.connect(40001, 6001);
    REQUIRE(answer);
    CHECK(answer->hdr.op == vsock::k_op_rst);
}

TEST_CASE("vsock never sends the guest more than its credit") {
    VsockFixture f;
    REQUIRE(f.rig);
    VsockRig& r = *f.rig;
    REQUIRE(r.bring_up() == k_vsock_running);
    Fd listener = host_listen(f.uds + "_5000");
    GuestConn& g = r.conn(40000, 5000);
    g.buf_alloc = 8192;
    g.auto_consume = false;
    REQUIRE(r.connect(40000, 5000)->hdr.op == vsock::k_op_response);
    Fd host = host_accept(listener.get());
    REQUIRE(host.valid());

    auto data = pattern(64 * 1024, 4);
    REQUIRE(write_all(host.get(), data));
    REQUIRE(r.wait_data(40000, 5000, 8192));
    std::this_thread::sleep_for(100ms);
    r.poll_rx();
    CHECK(g.data.size() == 8192); // and not a byte more

    // The application read 4 KiB: a CREDIT_UPDATE lets 4 KiB more through.
    g.fwd_cnt = 4096;
    REQUIRE(r.send_op(vsock::k_op_credit_update, 40000, 5000));
    REQUIRE(r.wait_data(40000, 5000, 8192 + 4096));
    std::this_thread::sleep_for(100ms);
    r.poll_rx();
    CHECK(g.data.size() == 8192 + 4096);

    // A bigger buffer, everything consumed: the rest arrives.
    g.buf_alloc = 1 << 20;
    g.fwd_cnt = g.rx_cnt;
    g.auto_consume = true;
    REQUIRE(r.send_op(vsock::k_op_credit_update, 40000, 5000));
    REQUIRE(r.wait_data(40000, 5000, data.size()));
    CHECK(g.data == data);

    // CREDIT_REQUEST is answered with our buffer and count.
    REQUIRE(r.send_op(vsock::k_op_credit_request, 40000, 5000));
    auto update = r.wait_op(vsock::k_op_credit_update, 40000);
    REQUIRE(update);
    CHECK(update->hdr.buf_alloc == HostCredit::k_buf_alloc);
    CHECK(r.dev->counters().credit_violations == 0);
}

TEST_CASE("vsock carries many connections at once") {
    constexpr uint32_t k_count = 32;
    VsockFixture f;
    REQUIRE(f.rig);
    VsockRig& r = *f.rig;
    REQUIRE(r.bring_up() == k_vsock_running);
    Fd listener = host_listen(f.uds + "_7000");
    REQUIRE(listener.valid());
    std::vector<Fd> guest_side, host_side;
    std::vector<uint32_t> locals;
    for (uint32_t i = 0; i < k_count / 2; i++) {
        REQUIRE(r.connect(50000 + i, 7000)->hdr.op == vsock::k_op_response);
        guest_side.push_back(host_accept(listener.get()));
        REQUIRE(guest_side.back().valid());
    }
    for (uint32_t i = 0; i < k_count / 2; i++) {
        uint32_t local = 0;
        host_side.push_back(host_initiated(r, f.uds, 8000 + i, local));
        REQUIRE(host_side.back().valid());
        locals.push_back(local);
    }
    CHECK(r.dev->counters().connections == k_count);
    // Every host socket writes at once; each stream arrives whole and in order.
    for (uint32_t i = 0; i < k_count / 2; i++) {
        REQUIRE(write_all(guest_side[i].get(), pattern(20000, static_cast<uint8_t>(i))));
        REQUIRE(write_all(host_side[i].get(), pattern(20000, static_cast<uint8_t>(100 + i))));
    }
    for (uint32_t i = 0; i < k_count / 2; i++) {
        REQUIRE(r.wait_data(50000 + i, 7000, 20000));
        CHECK(r.conn(50000 + i, 7000).data == pattern(20000, static_cast<uint8_t>(i)));
        REQUIRE(r.wait_data(8000 + i, locals[i], 20000));
        CHECK(r.conn(8000 + i, locals[i]).data == pattern(20000, static_cast<uint8_t>(100 + i)));
    }
    for (uint32_t i = 0; i < k_count / 2; i++) {
        REQUIRE(r.write(50000 + i, 7000, tag('g', i)));
        REQUIRE(r.write(8000 + i, locals[i], tag('h', i)));
    }
    for (uint32_t i = 0; i < k_count / 2; i++) {
        std::string g = tag('g', i), h = tag('h', i);
        CHECK(read_exact(guest_side[i].get(), g.size()) == to_bytes(g));
        CHECK(read_exact(host_side[i].get(), h.size()) == to_bytes(h));
    }
    CHECK(r.bad_rx == 0);
}
