// virtio-vsock against a guest (and host clients) that break the rules: refused packets
// are counted, connections they touch are reset, nothing crashes, spins or hangs.
#include <dirent.h>
#include <doctest/doctest.h>
#include <fstream>
#include <random>
#include <sstream>

#include "devices/virtio/vsock.hpp"
#include "devices/virtio/vsock_test_rig.hpp"

using namespace hyper;
using namespace hyper::virtio;
using namespace hyper::virtio::testing;

namespace {

constexpr uint64_t k_hdr = VsockRig::k_tx_buffer;

struct Hostile {
    Hostile() {
        REQUIRE(f.rig);
        REQUIRE((f.rig->bring_up() & k_status_driver_ok) != 0);
        listener = host_listen(f.uds + "_5000");
        REQUIRE(listener.valid());
    }
    VsockRig& r() { return *f.rig; }
    VsockCounters counters() { return f.rig->dev->counters(); }
    // An established guest-initiated connection 40000 -> 5000.
    Fd connect() {
        auto answer = r().connect(40000, 5000);
        REQUIRE(answer);
        REQUIRE(answer->hdr.op == vsock::k_op_response);
        Fd host = host_accept(listener.get());
        REQUIRE(host.valid());
        return host;
    }
    // Nothing at all comes back for a while.
    bool silent() {
        return !r().wait_packet([](const VsockPacket&) { return true; }, 100ms);
    }
    bool rst_for(uint32_t guest_port) {
        return r().wait_op(vsock::k_op_rst, guest_port, 2s).has_value();
    }
    // The device still serves: a refused connect is answered with RST.
    void check_alive() {
        auto answer = r().connect(45000, 6999);
        REQUIRE(answer);
        CHECK(answer->hdr.op == vsock::k_op_rst);
    }
    VsockFixture f;
    Fd listener;
};

// CPU time (clock ticks) the device thread has used so far.
long device_thread_ticks() {
    DIR* dir = ::opendir("/proc/self/task");
    if (!dir)
        return -1;
    long ticks = -1;
    while (dirent* e = ::readdir(dir)) {
        std::ifstream stat(std::string("/proc/self/task/") + e->d_name + "/stat");
        std::string line;
        if (!std::getline(stat, line) || line.find("(virtio-vsock)") == std::string::npos)
            continue;
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        std::string field;
        long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && rest >> field; i++) {
            if (i == 14)
                utime = std::stol(field);
            if (i == 15)
                stime = std::stol(field);
        }
        ticks = utime + stime;
    }
    ::closedir(dir);
    return ticks;
}

} // namespace

TEST_CASE("vsock drops short headers and packets with the wrong CIDs, without a reply") {
    Hostile h;
    VsockRig& r = h.r();
    auto header = r.header(vsock::k_op_request, 40000, 5000);
    (void)r.mem.write_obj(GuestAddress(k_hdr), header);
    Buffer short_header{k_hdr, 43, false};
    REQUIRE(r.send_chain(std::span(&short_header, 1)));
    CHECK(h.counters().dropped_packets == 1);

    for (uint64_t src : {uint64_t{2}, uint64_t{4}, k_test_guest_cid | (uint64_t{1} << 32)}) {
        auto bad = r.header(vsock::k_op_request, 40000, 5000);
        bad.src_cid = src;
        REQUIRE(r.send(bad));
    }
    auto bad = r.header(vsock::k_op_rw, 40000, 5000);
    bad.dst_cid = 7;
    REQUIRE(r.send(bad));
    CHECK(h.silent());
    CHECK(h.counters().dropped_packets == 5);
    CHECK(h.counters().connections == 0);
    CHECK(host_accept(h.listener.get(), 0).valid() == false);
    h.check_alive();
}

TEST_CASE("vsock accepts a header split over descriptors") {
    Hostile h;
    VsockRig& r = h.r();
    auto header = r.header(vsock::k_op_request, 40000, 5000);
    (void)r.mem.write_obj(GuestAddress(k_hdr), header);
    Buffer parts[] = {{k_hdr, 10, false}, {k_hdr + 10, 30, false}, {k_hdr + 40, 4, false}};
    REQUIRE(r.send_chain(parts));
    auto answer = r.wait_op(vsock::k_op_response, 40000);
    REQUIRE(answer);
    CHECK(host_accept(h.listener.get()).valid());
    CHECK(h.counters().dropped_packets == 0);
}

TEST_CASE("vsock refuses lengths that do not match the buffer") {
    Hostile h;
    VsockRig& r = h.r();
    std::vector<uint8_t> payload(10, 0xaa);
    SUBCASE("len beyond the chain, no connection: RST") {
        REQUIRE(r.send(r.header(vsock::k_op_rw, 40000, 5000, 100), payload));
        CHECK(h.rst_for(40000));
    }
    SUBCASE("len beyond the chain on a connection: it is reset") {
        Fd host = h.connect();
        REQUIRE(r.send(r.header(vsock::k_op_rw, 40000, 5000, 11), payload));
        CHECK(h.rst_for(40000));
        CHECK(sees_eof(host.get()));
        CHECK(h.counters().connections == 0);
    }
    SUBCASE("len above 64 KiB") {
        std::vector<uint8_t> big(70000, 1);
        REQUIRE(r.send(r.header(vsock::k_op_rw, 40000, 5000, 70000), big));
        CHECK(h.rst_for(40000));
    }
    SUBCASE("payload on a control packet") {
        REQUIRE(r.send(r.header(vsock::k_op_request, 40000, 5000, 10), payload));
        CHECK(h.rst_for(40000));
        CHECK(h.counters().connections == 0);
    }
    CHECK(h.counters().dropped_packets == 1);
    h.check_alive();
}

TEST_CASE("vsock resets unknown operations, other socket types and forged connections") {
    Hostile h;
    VsockRig& r = h.r();
    SUBCASE("RW for a connection that does not exist") {
        REQUIRE(r.send(r.header(vsock::k_op_rw, 41000, 5000, 3), to_bytes("abc")));
        CHECK(h.rst_for(41000));
        CHECK(h.counters().dropped_packets == 1);
    }
    SUBCASE("SHUTDOWN and CREDIT_UPDATE for nothing") {
        REQUIRE(r.send_op(vsock::k_op_shutdown, 41000, 5000, 3));
        REQUIRE(r.send_op(vsock::k_op_credit_update, 41001, 5000));
        CHECK(h.rst_for(41000));
        CHECK(h.rst_for(41001));
    }
    SUBCASE("RST for nothing is ignored") {
        REQUIRE(r.send_op(vsock::k_op_rst, 41000, 5000));
        CHECK(h.silent());
    }
    SUBCASE("unknown op without a connection") {
        REQUIRE(r.send_op(99, 41000, 5000));
        CHECK(h.rst_for(41000));
    }
    SUBCASE("unknown op on a connection") {
        Fd host = h.connect();
        REQUIRE(r.send_op(vsock::k_op_invalid, 40000, 5000));
        CHECK(h.rst_for(40000));
        CHECK(sees_eof(host.get()));
    }
    SUBCASE("a seqpacket request") {
        auto seq = r.header(vsock::k_op_request, 40000, 5000);
        seq.type = vsock::k_type_seqpacket;
        REQUIRE(r.send(seq));
        CHECK(h.rst_for(40000));
        CHECK_FALSE(host_accept(h.listener.get(), 100).valid());
    }
    SUBCASE("a second REQUEST or a RESPONSE on an open connection") {
        Fd host = h.connect();
        REQUIRE(r.send_op(vsock::k_op_response, 40000, 5000));
        CHECK(h.rst_for(40000));
        CHECK(sees_eof(host.get()));
        host = h.connect();
        REQUIRE(r.send_op(vsock::k_op_request, 40000, 5000));
        CHECK(h.rst_for(40000));
    }
    CHECK(wait_until([&] { return h.counters().connections == 0; }));
    h.check_alive();
}

TEST_CASE("vsock resets a guest that lies about credit") {
    Hostile h;
    VsockRig& r = h.r();
    Fd host = h.connect();
    GuestConn& g = r.conn(40000, 5000);
    SUBCASE("fwd_cnt counts bytes never sent") {
        g.fwd_cnt = 1000;
        REQUIRE(r.send_op(vsock::k_op_credit_update, 40000, 5000));
    }
    SUBCASE("fwd_cnt runs ahead of the data after some was sent") {
        REQUIRE(write_all(host.get(), "0123456789"));
        REQUIRE(r.wait_data(40000, 5000, 10));
        REQUIRE(r.send_op(vsock::k_op_credit_update, 40000, 5000)); // fwd_cnt 10: fine
        g.fwd_cnt = 5;                                              // older: ignored
        REQUIRE(r.send_op(vsock::k_op_credit_update, 40000, 5000));
        r.inbox.clear(); // the data
        CHECK(h.silent());
        g.fwd_cnt = 11;
        REQUIRE(r.send_op(vsock::k_op_credit_update, 40000, 5000));
    }
    SUBCASE("more data than the credit allowed, the host not reading") {
        // 1 MiB blasted without looking at the credit: the host socket takes some, the
        // device buffers at most 256 KiB, then resets.
        std::vector<uint8_t> chunk(32 * 1024, 0x55);
        for (int i = 0; i < 32 && h.counters().connections == 1; i++)
            REQUIRE(r.send(r.header(vsock::k_op_rw, 40000, 5000, 32 * 1024), chunk));
    }
    CHECK(h.rst_for(40000));
    CHECK(h.counters().credit_violations == 1);
    CHECK(h.counters().connections == 0);
    CHECK(sees_eof(host.get()));
}

TEST_CASE("vsock skips RX buffers it cannot use") {
    Hostile h;
    VsockRig& r = h.r();
    // The 64 good buffers are queued first: use them up with RSTs, then offer bad ones.
    r.set_auto_refill(false);
    for (uint32_t i = 0; i < 64; i++)
        REQUIRE(r.send_op(vsock::k_op_rw, 42000 + i, 5000));
    REQUIRE(wait_until([&] { return r.rx.used_idx() == 64; }));
    Buffer too_small{VsockRig::k_rx_buffers, 44, true};
    Buffer read_only{VsockRig::k_rx_buffers, 4096, false};
    r.post_raw_rx(std::span(&too_small, 1));
    r.post_raw_rx(std::span(&read_only, 1));
    r.set_auto_refill(true);
    r.post_rx(1);
    CHECK(h.rst_for(42063));
    h.check_alive();
    CHECK(r.bad_rx == 2);
    CHECK(h.counters().dropped_packets == 64 + 2);
}

TEST_CASE("vsock without RX buffers reads no host socket and does not spin") {
    Hostile h;
    VsockRig& r = h.r();
    GuestConn& g = r.conn(40000, 5000);
    g.buf_alloc = 1 << 20;
    Fd host = h.connect();
    r.set_auto_refill(false);
    uint16_t start = r.rx.used_idx();
    auto data = std::vector<uint8_t>(1 << 20, 0x42);
    std::jthread writer([&] { write_all(host.get(), data); });
    // The 64 posted buffers fill up, then the device must wait.
    REQUIRE(wait_until([&] {
        r.poll_rx();
        return r.rx.used_idx() == static_cast<uint16_t>(start + 64);
    }));
    long before = device_thread_ticks();
    std::this_thread::sleep_for(300ms);
    long after = device_thread_ticks();
    CHECK(before >= 0);
    CHECK(after - before <= 3); // 30 ms of CPU in 300 ms at most
    r.set_auto_refill(true);
    r.post_rx(64);
    bool all = r.wait_data(40000, 5000, data.size());
    writer.join();
    CHECK(all);
    CHECK(r.bad_rx == 0);
}

TEST_CASE("vsock host clients that do not speak the protocol are closed") {
    Hostile h;
    VsockRig& r = h.r();
    for (std::string line : {std::string("HELLO\n"), std::string("CONNECT abc\n"),
                             std::string("CONNECT 99999999999\n"), std::string("CONNECT\n"),
                             std::string("CONNECT  5\n"), std::string(40, 'x')}) {
        Fd host = host_connect(h.f.uds);
        REQUIRE(host.valid());
        REQUIRE(write_all(host.get(), line));
        CHECK(sees_eof(host.get()));
    }
    CHECK(h.silent());
    // A line in two pieces is fine; a guest that refuses (RST) closes the socket, no "OK".
    Fd host = host_connect(h.f.uds);
    REQUIRE(write_all(host.get(), "CONN"));
    std::this_thread::sleep_for(20ms);
    REQUIRE(write_all(host.get(), "ECT 5\r\n"));
    auto req = r.wait_op(vsock::k_op_request, 5);
    REQUIRE(req);
    REQUIRE(r.send_op(vsock::k_op_rst, 5, req->hdr.src_port));
    CHECK(read_line(host.get()).empty());
    // A host client that gives up before the guest answers: the guest gets RST.
    host = host_connect(h.f.uds);
    REQUIRE(write_all(host.get(), "CONNECT 6\n"));
    req = r.wait_op(vsock::k_op_request, 6);
    REQUIRE(req);
    host.reset();
    CHECK(h.rst_for(6));
    CHECK(wait_until([&] { return h.counters().connections == 0; }));
}

TEST_CASE("vsock survives a flood of random packets") {
    Hostile h;
    VsockRig& r = h.r();
    std::mt19937 rng(1234);
    for (int i = 0; i < 500; i++) {
        auto hdr = r.header(static_cast<uint16_t>(rng() % 10), 40000 + rng() % 4, 5000 + rng() % 2,
                            0, rng() % 4);
        if (rng() % 4 == 0)
            hdr.len = rng() % 64;
        if (rng() % 8 == 0)
            hdr.type = static_cast<uint16_t>(rng());
        hdr.buf_alloc = static_cast<uint32_t>(rng());
        hdr.fwd_cnt = rng() % 2 ? 0 : static_cast<uint32_t>(rng());
        std::vector<uint8_t> payload(rng() % 48, 0x33);
        REQUIRE(r.send(hdr, payload));
    }
    for (Fd s = host_accept(h.listener.get(), 0); s.valid(); s = host_accept(h.listener.get(), 0)) {
    }
    h.check_alive();
    CHECK(h.counters().connections <= 8);
    CHECK(r.bad_rx == 0);
}

TEST_CASE("vsock asks for a reset when the guest breaks a queue") {
    Hostile h;
    VsockRig& r = h.r();
    Fd host = h.connect();
    r.tx.set_avail_idx(static_cast<uint16_t>(r.tx.avail_idx() + 1000));
    r.notify(vsock::k_queue_tx);
    CHECK(wait_until([&] { return (mmio_read(*r.transport, 0x70) & k_status_needs_reset) != 0; }));
    CHECK(sees_eof(host.get()));
    // The worker closes the sockets, then zeroes its counter: on a slow machine the host
    // may see the end of its stream first.
    CHECK(wait_until([&] { return h.counters().connections == 0; }));
}
