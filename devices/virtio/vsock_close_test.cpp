// virtio-vsock connections ending: half-closes both ways (also a burst of host clients
// that half-close right behind their first bytes), a host peer that dies, device and
// transport resets.
#include "devices/virtio/vsock.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <doctest/doctest.h>
#include <mutex>
#include <set>

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

// "m12\n" (g++ 12 warns wrongly about "m" + std::to_string(i): -Wrestrict).
std::string message_for(size_t i) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "m%zu\n", i);
    return buf;
}

// The guest side of `socat VSOCK-LISTEN:<port>,fork EXEC:cat` as Linux runs it: every
// REQUEST is answered with RESPONSE (all of them held back until `respond` says so),
// every RW payload is echoed, and once the host's SHUTDOWN SEND has come the guest closes
// with SHUTDOWN RCV|SEND and waits for the device's RST.
class EchoGuest {
  public:
    EchoGuest(VsockRig& r, uint32_t port) : m_r(r), m_port(port) {}

    // Runs until `connections` connections ended with an RST, or `timeout`.
    void run(size_t connections, std::function<bool()> respond,
             std::chrono::milliseconds timeout = 60s) {
        auto end = std::chrono::steady_clock::now() + timeout;
        while (ended < connections && std::chrono::steady_clock::now() < end) {
            if (!m_held.empty() && respond()) {
                for (uint32_t host_port : m_held)
                    m_r.send_op(vsock::k_op_response, m_port, host_port);
                m_held.clear();
            }
            m_r.poll_rx();
            if (m_r.inbox.empty()) {
                std::this_thread::sleep_for(200us);
                continue;
            }
            VsockPacket p = std::move(m_r.inbox.front());
            m_r.inbox.pop_front();
            if (p.hdr.dst_port == m_port)
                on_packet(p);
        }
    }

    // Blocks (no polling: 32 clients spinning starve the guest loop on a slow emulated
    // CPU) until `n` connections' SHUTDOWN SEND came, or `timeout`.
    bool wait_for_eofs(size_t n, std::chrono::milliseconds timeout = 60s) {
        std::unique_lock lock(m_eof_mutex);
        return m_eof_cv.wait_for(lock, timeout, [&] { return eofs >= n; });
    }

    size_t ended{0};
    size_t problems{0}; // packets a Linux guest would not expect
    size_t eofs{0};     // connections whose SHUTDOWN SEND came (under m_eof_mutex)

  private:
    struct Conn {
        bool closed{false}; // the host's SHUTDOWN SEND came; we sent SHUTDOWN RCV|SEND
    };

    void on_packet(const VsockPacket& p) {
        uint32_t host_port = p.hdr.src_port;
        auto it = m_conns.find(host_port);
        if (p.hdr.op == vsock::k_op_request) {
            m_conns[host_port] = Conn{};
            m_held.push_back(host_port);
            return;
        }
        if (it == m_conns.end()) {
            problems++;
            return;
        }
        Conn& c = it->second;
        switch (p.hdr.op) {
        case vsock::k_op_rw:
            if (c.closed)
                problems++; // data behind the SHUTDOWN: the application saw EOF before it
            m_r.write(m_port, host_port, p.payload);
            break;
        case vsock::k_op_shutdown:
            if ((p.hdr.flags & vsock::k_shutdown_rcv) || c.closed)
                problems++; // the host only half-closed
            c.closed = true;
            {
                std::lock_guard lock(m_eof_mutex);
                eofs++;
            }
            m_eof_cv.notify_all();
            m_r.send_op(vsock::k_op_shutdown, m_port, host_port, vsock::k_shutdown_both);
            break;
        case vsock::k_op_rst:
            if (!c.closed)
                problems++;
            m_conns.erase(it);
            ended++;
            break;
        default: break;
        }
    }

    VsockRig& m_r;
    uint32_t m_port;
    std::map<uint32_t, Conn> m_conns; // by host port
    std::vector<uint32_t> m_held;     // REQUESTs not answered yet
    std::mutex m_eof_mutex;
    std::condition_variable m_eof_cv;
};

} // namespace

TEST_CASE("vsock burst of host clients: data behind CONNECT, then a half-close") {
    // 32 clients at once each write "CONNECT 5000\n" and their message (in one write or
    // two), half-close, and must read "OK <port>\n", their message echoed, then EOF. The
    // guest answers either at once, or only after every client has half-closed (as a slow
    // guest does): then the message and the EOF wait in the socket behind the handshake,
    // and must reach the guest as RW, then SHUTDOWN SEND. The clients read nothing until
    // the guest has seen every EOF: no wake-up from the host side may be needed for that.
    constexpr size_t k_clients = 32;
    bool late_response = false;
    SUBCASE("the guest answers at once") {}
    SUBCASE("the guest answers after the half-closes") {
        late_response = true;
    }
    for (int round = 0; round < 2; round++) {
        CAPTURE(round);
        VsockFixture f;
        REQUIRE(f.rig);
        VsockRig& r = *f.rig;
        REQUIRE(r.bring_up() == k_vsock_running);
        std::vector<std::string> got(k_clients);
        std::vector<char> eof_first(k_clients, 0); // the guest saw every EOF, in time
        std::atomic<size_t> half_closed{0};
        EchoGuest guest(r, 5000);
        std::vector<std::jthread> clients;
        for (size_t i = 0; i < k_clients; i++) {
            clients.emplace_back([&, i] {
                Fd host = host_connect(f.uds);
                std::string connect = "CONNECT 5000\n";
                std::string message = message_for(i);
                bool split = (i + static_cast<size_t>(round)) % 2 != 0;
                bool ok = host.valid() &&
                          write_all(host.get(), split ? connect : connect + message) &&
                          (!split || write_all(host.get(), message));
                if (ok)
                    ::shutdown(host.get(), SHUT_WR);
                half_closed++;
                if (!ok)
                    return;
                eof_first[i] = guest.wait_for_eofs(k_clients);
                char buf[256];
                for (ssize_t n; (n = ::recv(host.get(), buf, sizeof buf, 0)) > 0;)
                    got[i].append(buf, static_cast<size_t>(n));
            });
        }
        guest.run(k_clients, [&] { return !late_response || half_closed == k_clients; });
        clients.clear(); // joins
        CHECK(guest.ended == k_clients);
        CHECK(guest.problems == 0);
        std::set<std::string> oks;
        for (size_t i = 0; i < k_clients; i++) {
            CAPTURE(i);
            std::string message = message_for(i);
            REQUIRE(got[i].size() > message.size());
            std::string ok = got[i].substr(0, got[i].size() - message.size());
            unsigned long port = 0;
            CHECK(std::sscanf(ok.c_str(), "OK %lu\n", &port) == 1);
            CHECK(ok == "OK " + std::to_string(port) + "\n");
            CHECK(port >= VsockWorker::k_first_local_port);
            CHECK(got[i].ends_with(message));
            CHECK(eof_first[i]);
            oks.insert(ok);
        }
        CHECK(oks.size() == k_clients); // every connection its own local port
        CHECK(wait_until([&] { return r.dev->counters().connections == 0; }));
        auto counters = r.dev->counters();
        CHECK(counters.resets_sent == k_clients); // one RST each, answering the guest's close
        CHECK(counters.dropped_packets == 0);
        CHECK(counters.credit_violations == 0);
        CHECK(r.bad_rx == 0);
    }
}
