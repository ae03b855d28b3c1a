// virtio-vsock connections ending: half-closes both ways, a host peer that dies, device
// and transport resets.
#include "devices/virtio/vsock.hpp"

#include <doctest/doctest.h>

#include "devices/virtio/vsock_test_rig.hpp"

using namespace hyper;
using namespace hyper::virtio;
using namespace hyper::virtio::testing;

TEST_CASE("vsock half-close: guest SHUTDOWN SEND and host shutdown(SHUT_WR)") {
    VsockFixture f;
    REQUIRE(f.rig);
    VsockRig& r = *f.rig;
    REQUIRE(r.bring_up() == k_vsock_running);
    Fd listener = host_listen(f.uds + "_5000");
    REQUIRE(r.connect(40000, 5000)->hdr.op == vsock::k_op_response);
    Fd host = host_accept(listener.get());
    REQUIRE(host.valid());

    // Guest -> host half-close: the host reads the data, then EOF, and can still write.
    REQUIRE(r.write(40000, 5000, "request"));
    REQUIRE(r.send_op(vsock::k_op_shutdown, 40000, 5000, vsock::k_shutdown_send));
    CHECK(read_exact(host.get(), 7) == to_bytes("request"));
    CHECK(read_exact(host.get(), 1).empty()); // EOF
    REQUIRE(write_all(host.get(), "response"));
    REQUIRE(r.wait_data(40000, 5000, 8));
    CHECK(r.received_text(40000, 5000) == "response");

    // Host -> guest half-close: SHUTDOWN SEND after the data.
    REQUIRE(::shutdown(host.get(), SHUT_WR) == 0);
    auto shut = r.wait_op(vsock::k_op_shutdown, 40000);
    REQUIRE(shut);
    CHECK(shut->hdr.flags == vsock::k_shutdown_send);
    CHECK(r.dev->counters().connections == 1);

    // The guest closes for good: RST back, the host socket is closed.
    REQUIRE(r.send_op(vsock::k_op_shutdown, 40000, 5000, vsock::k_shutdown_both));
    CHECK(r.wait_op(vsock::k_op_rst, 40000));
    CHECK(wait_until([&] { return r.dev->counters().connections == 0; }));
    CHECK(r.dev->counters().resets_sent == 1);
}

TEST_CASE("vsock host half-close, then the guest still sends") {
    VsockFixture f;
    REQUIRE(f.rig);
    VsockRig& r = *f.rig;
    REQUIRE(r.bring_up() == k_vsock_running);
    uint32_t local = 0;
    Fd host = host_initiated(r, f.uds, 77, local);
    REQUIRE(host.valid());
    REQUIRE(write_all(host.get(), "bye"));
    REQUIRE(::shutdown(host.get(), SHUT_WR) == 0);
    auto shut = r.wait_op(vsock::k_op_shutdown, 77);
    REQUIRE(shut);
    CHECK(shut->hdr.flags == vsock::k_shutdown_send);
    CHECK(r.received_text(77, local) == "bye"); // the data came before the SHUTDOWN
    REQUIRE(r.write(77, local, "still here"));
    CHECK(read_exact(host.get(), 10) == to_bytes("still here"));
    host.reset(); // now fully closed: SHUTDOWN with both flags
    shut = r.wait_op(vsock::k_op_shutdown, 77);
    REQUIRE(shut);
    CHECK(shut->hdr.flags == vsock::k_shutdown_both);
}

TEST_CASE("vsock resets the guest when the host peer dies mid-transfer") {
    VsockFixture f;
    REQUIRE(f.rig);
    VsockRig& r = *f.rig;
    REQUIRE(r.bring_up() == k_vsock_running);
    Fd listener = host_listen(f.uds + "_5000");
    REQUIRE(r.connect(40000, 5000)->hdr.op == vsock::k_op_response);
    Fd host = host_accept(listener.get());
    REQUIRE(host.valid());
    REQUIRE(r.write(40000, 5000, pattern(32 * 1024, 5)));
    CHECK(read_exact(host.get(), 1000).size() == 1000);
    host.reset(); // dies with unread data
    // The guest keeps sending; the device answers with RST, not a quiet close.
    auto more = pattern(16 * 1024, 6);
    r.write(40000, 5000, more);
    auto rst = r.wait_op(vsock::k_op_rst, 40000);
    REQUIRE(rst);
    CHECK(rst->hdr.src_port == 5000);
    CHECK(wait_until([&] { return r.dev->counters().connections == 0; }));
}

TEST_CASE("vsock reset closes every connection and the device comes back") {
    VsockFixture f;
    REQUIRE(f.rig);
    VsockRig& r = *f.rig;
    REQUIRE(r.bring_up() == k_vsock_running);
    uint32_t local = 0;
    Fd host = host_initiated(r, f.uds, 99, local);
    REQUIRE(host.valid());
    mmio_write(*r.transport, 0x70, 0); // driver reset
    CHECK(sees_eof(host.get()));
    CHECK(r.dev->counters().connections == 0);

    // A host client that connects while the device is stopped waits in the backlog.
    Fd early = host_connect(f.uds);
    REQUIRE(early.valid());
    REQUIRE(write_all(early.get(), "CONNECT 100\n"));
    REQUIRE(r.restart() == k_vsock_running);
    auto req = r.wait_op(vsock::k_op_request, 100);
    REQUIRE(req);
    REQUIRE(r.send_op(vsock::k_op_response, 100, req->hdr.src_port));
    CHECK(read_line(early.get()) == "OK " + std::to_string(req->hdr.src_port) + "\n");
}

TEST_CASE("vsock transport reset: an event for the guest, every connection closed") {
    VsockFixture f;
    REQUIRE(f.rig);
    VsockRig& r = *f.rig;
    REQUIRE(r.bring_up() == k_vsock_running);
    uint32_t local = 0;
    Fd host = host_initiated(r, f.uds, 99, local);
    REQUIRE(host.valid());
    r.dev->transport_reset();
    REQUIRE(wait_until([&] { return r.events_used() == 1; }));
    CHECK(r.event.used(0).len == 4);
    CHECK(r.mem.read_obj<uint32_t>(GuestAddress(VsockRig::k_event_buffers)) ==
          vsock::k_event_transport_reset);
    CHECK(sees_eof(host.get()));
    CHECK(r.dev->counters().connections == 0);
    // New connections work afterwards.
    Fd again = host_initiated(r, f.uds, 99, local);
    REQUIRE(again.valid());
    CHECK(r.dev->counters().connections == 1);
}

namespace {

// The fake guest of an echo server (`socat VSOCK-LISTEN:<port>,fork EXEC:cat`, as Linux
// runs it): every REQUEST is accepted, every RW payload echoed, and the host's SHUTDOWN
// SEND answered with SHUTDOWN RCV|SEND (cat saw EOF and the socket was closed); the
// device's RST then ends the connection. Returns the number of connections that ended.
size_t run_echo_guest(VsockRig& r, uint32_t guest_port, size_t connections,
                      std::chrono::milliseconds timeout) {
    std::map<uint32_t, bool> open; // by host port: the guest has closed it
    size_t ended = 0;
    auto end = std::chrono::steady_clock::now() + timeout;
    while (ended < connections && std::chrono::steady_clock::now() < end) {
        r.poll_rx();
        if (r.inbox.empty()) {
            std::this_thread::sleep_for(200us);
            continue;
        }
        VsockPacket p = std::move(r.inbox.front());
        r.inbox.pop_front();
        uint32_t host_port = p.hdr.src_port;
        if (p.hdr.dst_port != guest_port)
            continue;
        switch (p.hdr.op) {
        case vsock::k_op_request:
            open[host_port] = false;
            if (getenv("GDELAY")) std::this_thread::sleep_for(std::chrono::milliseconds(atoi(getenv("GDELAY"))));
            r.send_op(vsock::k_op_response, guest_port, host_port);
            break;
        case vsock::k_op_rw:
            if (open.count(host_port) && !open[host_port])
                r.write(guest_port, host_port, p.payload);
            break;
        case vsock::k_op_shutdown:
            if ((p.hdr.flags & vsock::k_shutdown_send) && open.count(host_port) &&
                !open[host_port]) {
                open[host_port] = true;
                r.send_op(vsock::k_op_shutdown, guest_port, host_port, vsock::k_shutdown_both);
            }
            break;
        case vsock::k_op_rst:
            if (open.erase(host_port))
                ended++;
            break;
        default: break;
        }
    }
    return ended;
}

} // namespace

TEST_CASE("vsock burst of host clients: CONNECT with data behind it, then half-close") {
    // Each client writes "CONNECT 5000\n" and its message (in one write, or two), soon
    // half-closes, and must read "OK <port>\n" and its message echoed, then EOF.
    constexpr size_t k_clients = 32;
    for (int round = 0; round < 4; round++) {
        CAPTURE(round);
        VsockFixture f;
        REQUIRE(f.rig);
        VsockRig& r = *f.rig;
        REQUIRE(r.bring_up() == k_vsock_running);
        std::vector<std::string> got(k_clients);
        std::vector<std::jthread> clients;
        for (size_t i = 0; i < k_clients; i++) {
            clients.emplace_back([&, i] {
                Fd host = host_connect(f.uds);
                std::string message = "message " + std::to_string(i) + "\n";
                bool split = (i + static_cast<size_t>(round)) % 2 != 0;
                if (!host.valid() ||
                    !write_all(host.get(), split ? "CONNECT 5000\n" : "CONNECT 5000\n" + message))
                    return;
                if (split && !write_all(host.get(), message))
                    return;
                std::this_thread::sleep_for(std::chrono::milliseconds(round * 5));
                ::shutdown(host.get(), SHUT_WR);
                char buf[256];
                for (ssize_t n; (n = ::recv(host.get(), buf, sizeof buf, 0)) > 0;)
                    got[i].append(buf, static_cast<size_t>(n));
            });
        }
        size_t ended = run_echo_guest(r, 5000, k_clients, 10s);
        clients.clear(); // joins
        CHECK(ended == k_clients);
        for (size_t i = 0; i < k_clients; i++) {
            CAPTURE(i);
            std::string message = "message " + std::to_string(i) + "\n";
            CHECK(got[i].starts_with("OK "));
            CHECK(got[i].ends_with("\n" + message));
        }
        CHECK(wait_until([&] { return r.dev->counters().connections == 0; }));
        CHECK(r.bad_rx == 0);
        auto c = r.dev->counters();
        MESSAGE("resets " << c.resets_sent << " drops " << c.dropped_packets << " cv " << c.credit_violations);
    }
}
