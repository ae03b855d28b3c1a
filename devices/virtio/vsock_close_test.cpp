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
