#include "devices/virtio/net.hpp"

#include <doctest/doctest.h>

#include "devices/virtio/net_test_rig.hpp"

using namespace hyper;
using namespace hyper::virtio;
using namespace hyper::virtio::testing;

namespace {

constexpr uint32_t k_running =
    k_status_acknowledge | k_status_driver | k_status_features_ok | k_status_driver_ok;
constexpr uint64_t k_no_mrg = ~feature_bit(net::k_f_mrg_rxbuf);
constexpr uint64_t k_no_event_idx = ~feature_bit(k_f_ring_event_idx);

// The bytes of used chains [first, first+count) of the RX queue, concatenated.
std::vector<uint8_t> gather_rx(NetRig& r, const std::vector<uint64_t>& addrs, uint16_t first,
                               uint16_t count) {
    std::vector<uint8_t> out;
    for (uint16_t i = first; i < first + count; i++) {
        UsedElem e = r.rx.used(i);
        REQUIRE(e.id < addrs.size());
        auto part = r.bytes(addrs[e.id], e.len);
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

// `packet` as the guest must see it: num_buffers = n, flags as given.
std::vector<uint8_t> as_received(std::vector<uint8_t> packet, uint16_t n, uint8_t flags) {
    packet[0] = flags;
    packet[10] = static_cast<uint8_t>(n);
    packet[11] = static_cast<uint8_t>(n >> 8);
    return packet;
}

// Interrupts raised from now until `quiet` passes without one (the device raises its
// interrupt just after it publishes the used entries).
uint64_t count_irqs(NetRig& r, std::chrono::milliseconds quiet = std::chrono::milliseconds(30)) {
    uint64_t total = 0;
    wait_for([&] {
        total += r.irq_count();
        return total > 0;
    });
    std::this_thread::sleep_for(quiet);
    return total + r.irq_count();
}

} // namespace

TEST_CASE("virtio-net offers its features and configuration") {
    NetRig r({0x02, 0xab, 0xcd, 0xef, 0x01, 0x23});
    uint64_t f = r.offered_features();
    for (unsigned bit :
         {k_f_version_1, k_f_ring_event_idx, net::k_f_csum, net::k_f_guest_csum, net::k_f_mac,
          net::k_f_guest_tso4, net::k_f_guest_tso6, net::k_f_guest_ecn, net::k_f_host_tso4,
          net::k_f_host_tso6, net::k_f_host_ecn, net::k_f_mrg_rxbuf, net::k_f_status})
        CHECK_MESSAGE((f & feature_bit(bit)) != 0, "feature bit " << bit);
    for (unsigned bit : {net::k_f_ctrl_vq, net::k_f_mq, net::k_f_guest_ufo, net::k_f_host_ufo})
        CHECK_MESSAGE((f & feature_bit(bit)) == 0, "feature bit " << bit);
    CHECK(mmio_read(*r.transport, 0x008) == net::k_device_id);
    for (uint32_t q = 0; q < 2; q++) {
        mmio_write(*r.transport, 0x30, q);
        CHECK(mmio_read(*r.transport, 0x034) == Net::k_queue_size);
    }
    mmio_write(*r.transport, 0x30, 2);
    CHECK(mmio_read(*r.transport, 0x034) == 0);
    CHECK(mmio_read(*r.transport, 0x100) == 0xefcdab02);
    uint8_t b[2] = {};
    r.transport->read(0x104, b);
    CHECK(b[0] == 0x01);
    CHECK(b[1] == 0x23);
    r.transport->read(0x106, b); // status: link up
    CHECK(b[0] == net::k_s_link_up);
    CHECK(b[1] == 0);
    CHECK(mmio_read(*r.transport, 0x100 + 10) == 0); // past the structure
    mmio_write(*r.transport, 0x100, 0xffffffff);     // read-only
    CHECK(mmio_read(*r.transport, 0x100) == 0xefcdab02);
    CHECK(format_mac(r.net->mac()) == "02:ab:cd:ef:01:23");
}

TEST_CASE("virtio-net MAC addresses") {
    MacAddress a = mac_from_seed("tap0");
    CHECK(a == mac_from_seed("tap0"));
    CHECK(a != mac_from_seed("tap1"));
    CHECK(a[0] == 0x02); // locally administered, unicast
    CHECK(parse_mac("52:54:00:AB:cd:0f") == MacAddress{0x52, 0x54, 0x00, 0xab, 0xcd, 0x0f});
    CHECK(parse_mac("52-54-00-ab-cd-0f") == MacAddress{0x52, 0x54, 0x00, 0xab, 0xcd, 0x0f});
    CHECK_FALSE(parse_mac("52:54:00:ab:cd"));
    CHECK_FALSE(parse_mac("52:54:00:ab:cd:0g"));
    CHECK_FALSE(parse_mac("52:54:00:ab:cd:0f:"));
    CHECK(format_mac(a) == format_mac(*parse_mac(format_mac(a))));
    NetOptions multicast;
    multicast.tap = "unused0";
    multicast.mac = {0x01, 0, 0, 0, 0, 1};
    multicast.mac_set = true;
    auto refused = Net::open(multicast);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().exit_code() == ExitCode::Usage);
}

TEST_CASE("virtio-net transmits a packet split over descriptors") {
    NetRig r;
    REQUIRE(r.bring_up() == k_running);
    auto packet = make_packet(1500, 3, net::k_hdr_f_needs_csum);
    // The header itself split (5 + 7 bytes), the frame in two pieces.
    uint16_t head = r.send_tx(packet, {5, 12, 700});
    CHECK(r.receive() == packet);
    REQUIRE(r.wait_tx_used(1));
    CHECK(r.tx.used(0).id == head);
    CHECK(r.tx.used(0).len == 0);
    // Through an indirect table too, and a largest frame.
    auto big = make_packet(net::k_max_frame, 9);
    uint64_t data = r.alloc(big.size());
    r.write(data, big);
    Buffer bufs[] = {{data, 12, false},
                     {data + 12, 40000, false},
                     {data + 40012, static_cast<uint32_t>(big.size() - 40012), false}};
    r.tx.add_indirect(r.alloc(16 * 3), bufs);
    r.notify_tx();
    CHECK(r.receive() == big);
    REQUIRE(r.wait_tx_used(2));
    NetCounters c = r.net->counters();
    CHECK(c.tx_frames == 2);
    CHECK(c.tx_bytes == 1500 + net::k_max_frame);
    CHECK(c.tx_bad_chains == 0);
    CHECK(c.tx_dropped == 0);
}

TEST_CASE("virtio-net receives a packet into one chain") {
    bool guest_csum = true;
    SUBCASE("with GUEST_CSUM header flags pass through") {
        guest_csum = true;
    }
    SUBCASE("without GUEST_CSUM they are cleared") {
        guest_csum = false;
    }
    NetRig r;
    uint64_t wanted = guest_csum
                          ? NetRig::k_all_features
                          : ~(feature_bit(net::k_f_guest_csum) | feature_bit(net::k_f_guest_tso4) |
                              feature_bit(net::k_f_guest_tso6) | feature_bit(net::k_f_guest_ecn));
    REQUIRE(r.bring_up(wanted) == k_running);
    auto addrs = r.post_rx(4, 2048);
    auto packet = make_packet(1514, 5, net::k_hdr_f_data_valid);
    REQUIRE(r.inject(packet));
    REQUIRE(r.wait_rx_used(1));
    CHECK(r.rx.used(0).id == 0);
    CHECK(r.rx.used(0).len == packet.size());
    uint8_t flags = guest_csum ? net::k_hdr_f_data_valid : 0;
    CHECK(r.bytes(addrs[0], packet.size()) == as_received(packet, 1, flags));
    NetCounters c = r.net->counters();
    CHECK(c.rx_frames == 1);
    CHECK(c.rx_bytes == 1514);
    CHECK(c.rx_dropped == 0);
}

TEST_CASE("virtio-net spreads a large packet over several chains with MRG_RXBUF") {
    NetRig r;
    REQUIRE(r.bring_up() == k_running);
    SUBCASE("read straight into guest buffers") {
        auto addrs = r.post_rx(70, 1024); // 70 KiB: room for the largest packet
        auto packet = make_packet(net::k_max_frame, 1);
        REQUIRE(r.inject(packet));
        REQUIRE(r.wait_rx_used(65));
        CHECK(r.num_buffers(addrs[0]) == 65);
        for (uint16_t i = 0; i < 64; i++)
            CHECK(r.rx.used(i).len == 1024);
        CHECK(r.rx.used(64).len == net::k_max_packet - 64 * 1024);
        CHECK(gather_rx(r, addrs, 0, 65) == as_received(packet, 65, 0));
        // The next packet starts in the next chain.
        auto small = make_packet(100, 2);
        REQUIRE(r.inject(small));
        REQUIRE(r.wait_rx_used(66));
        CHECK(r.rx.used(65).id == 65);
        CHECK(gather_rx(r, addrs, 65, 1) == as_received(small, 1, 0));
    }
    SUBCASE("through the bounce buffer when the guest offers less than 64 KiB") {
        auto addrs = r.post_rx(4, 1024);
        auto packet = make_packet(3000, 4); // 3012 bytes: three chains
        REQUIRE(r.inject(packet));
        REQUIRE(r.wait_rx_used(3));
        CHECK(r.num_buffers(addrs[0]) == 3);
        CHECK(r.rx.used(2).len == 3012 - 2048);
        CHECK(gather_rx(r, addrs, 0, 3) == as_received(packet, 3, 0));
        auto small = make_packet(60, 8);
        REQUIRE(r.inject(small));
        REQUIRE(r.wait_rx_used(4));
        CHECK(gather_rx(r, addrs, 3, 1) == as_received(small, 1, 0));
    }
    CHECK(r.net->counters().rx_dropped == 0);
}

TEST_CASE("virtio-net waits for receive buffers without losing a packet") {
    NetRig r;
    REQUIRE(r.bring_up() == k_running);
    SUBCASE("no buffers at all") {
        auto packet = make_packet(200, 6);
        REQUIRE(r.inject(packet));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        // Waiting costs no CPU, even while more packets arrive.
        uint64_t ticks = net_thread_ticks();
        for (int i = 0; i < 4; i++) {
            REQUIRE(r.inject(make_packet(10, 0)));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CHECK(net_thread_ticks() - ticks <= 2);
        CHECK(r.rx.used_idx() == 0);
        auto addrs = r.post_rx(5, 2048); // with its notify
        REQUIRE(r.wait_rx_used(5));
        CHECK(r.bytes(addrs[0], packet.size()) == as_received(packet, 1, 0));
        CHECK(r.rx.used(4).len == 22);
    }
    SUBCASE("a packet read that does not fit yet") {
        auto first = r.post_rx(2, 1024);
        auto packet = make_packet(3000, 7);
        REQUIRE(r.inject(packet));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        uint64_t ticks = net_thread_ticks();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        CHECK(net_thread_ticks() - ticks <= 2);
        CHECK(r.rx.used_idx() == 0);
        auto more = r.post_rx(2, 1024);
        REQUIRE(r.wait_rx_used(3));
        std::vector<uint64_t> addrs = first;
        addrs.insert(addrs.end(), more.begin(), more.end());
        CHECK(gather_rx(r, addrs, 0, 3) == as_received(packet, 3, 0));
    }
    // Packets that arrived meanwhile are all delivered once buffers come.
    uint16_t before = r.rx.used_idx();
    for (uint8_t i = 0; i < 5; i++)
        REQUIRE(r.inject(make_packet(100, i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    r.post_rx(8, 2048);
    REQUIRE(r.wait_rx_used(static_cast<uint16_t>(before + 5)));
    CHECK(r.net->counters().rx_dropped == 0);
    CHECK(r.rx.used(static_cast<uint16_t>(before + 4)).len == 112);
}

TEST_CASE("virtio-net without MRG_RXBUF puts each packet in one chain") {
    NetRig r;
    REQUIRE(r.bring_up(k_no_mrg) == k_running);
    SUBCASE("small buffers: packets too large for them are dropped") {
        auto addrs = r.post_rx(1, 1526);
        REQUIRE(r.inject(make_packet(2000, 1)));
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        auto small = make_packet(1000, 2);
        REQUIRE(r.inject(small));
        REQUIRE(r.wait_rx_used(1));
        CHECK(r.rx.used(0).len == small.size());
        CHECK(r.bytes(addrs[0], small.size()) == as_received(small, 1, 0));
        CHECK(r.net->counters().rx_dropped == 1);
    }
    SUBCASE("big buffers: the header split over two descriptors") {
        std::vector<Buffer> bufs{{r.alloc(6), 6, true}, {r.alloc(6), 6, true}};
        for (int i = 0; i < 17; i++)
            bufs.push_back({r.alloc(4096), 4096, true});
        r.rx.add_chain(bufs);
        r.notify_rx();
        auto packet = make_packet(60000, 3);
        REQUIRE(r.inject(packet));
        REQUIRE(r.wait_rx_used(1));
        CHECK(r.rx.used(0).len == packet.size());
        std::vector<uint8_t> got;
        for (const Buffer& b : bufs) {
            auto part = r.bytes(b.addr, b.len);
            got.insert(got.end(), part.begin(), part.end());
        }
        got.resize(packet.size());
        CHECK(got == as_received(packet, 1, 0));
    }
}

TEST_CASE("virtio-net interrupts once per batch") {
    NetRig r;
    SUBCASE("without EVENT_IDX") {
        REQUIRE(r.bring_up(k_no_event_idx) == k_running);
    }
    SUBCASE("with EVENT_IDX") {
        REQUIRE(r.bring_up() == k_running);
        r.rx.set_used_event(7);
        r.tx.set_used_event(7);
    }
    // TX: eight chains, one notify.
    for (uint8_t i = 0; i < 8; i++)
        r.send_tx(make_packet(200, i), {}, /*notify=*/false);
    (void)r.irq_count();
    r.notify_tx();
    REQUIRE(r.wait_tx_used(8));
    for (uint8_t i = 0; i < 8; i++)
        CHECK(r.receive() == make_packet(200, i));
    CHECK(count_irqs(r) == 1);
    // RX: eight packets waiting, then eight buffers with one notify.
    for (uint8_t i = 0; i < 8; i++)
        REQUIRE(r.inject(make_packet(300, i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    (void)r.irq_count();
    auto addrs = r.post_rx(8, 2048);
    REQUIRE(r.wait_rx_used(8));
    CHECK(count_irqs(r) == 1);
    for (uint16_t i = 0; i < 8; i++)
        CHECK(gather_rx(r, addrs, i, 1) == as_received(make_packet(300, i), 1, 0));
}

TEST_CASE("virtio-net holds a packet the endpoint cannot take yet") {
    NetRig r;
    REQUIRE(r.bring_up() == k_running);
    // A small send buffer: the socket refuses packets (EAGAIN) long before all are sent.
    int sndbuf = 16384;
    REQUIRE(::setsockopt(r.endpoint->fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) == 0);
    constexpr uint8_t n = 60;
    for (uint8_t i = 0; i < n; i++)
        r.send_tx(make_packet(1000, i), {}, false);
    r.notify_tx();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    if (r.tx.used_idx() == n)
        MESSAGE("the socket took all packets at once: the EAGAIN path was not exercised");
    for (uint8_t i = 0; i < n; i++)
        REQUIRE(r.receive() == make_packet(1000, i));
    REQUIRE(r.wait_tx_used(n));
    CHECK(r.net->counters().tx_frames == n);
    CHECK(r.net->counters().tx_dropped == 0);
}

TEST_CASE("virtio-net sets the endpoint's offloads from the negotiated features") {
    NetRig r;
    REQUIRE(r.bring_up() == k_running);
    unsigned all = k_offload_csum | k_offload_tso4 | k_offload_tso6 | k_offload_tso_ecn;
    CHECK(r.endpoint->offload == all);
    CHECK(r.net->offload() == all);
    REQUIRE(r.restart(~feature_bit(net::k_f_guest_csum)) == k_running);
    CHECK(r.endpoint->offload == 0u); // TSO without GUEST_CSUM is not allowed
    REQUIRE(r.restart(~(feature_bit(net::k_f_guest_tso4) | feature_bit(net::k_f_guest_tso6))) ==
            k_running);
    CHECK(r.endpoint->offload == k_offload_csum);
    REQUIRE(r.restart(~feature_bit(net::k_f_guest_tso6)) == k_running);
    CHECK(r.endpoint->offload == (k_offload_csum | k_offload_tso4 | k_offload_tso_ecn));
    CHECK(r.endpoint->offload_calls == 4);
    // The device still works after the restarts.
    auto addrs = r.post_rx(1, 2048);
    auto packet = make_packet(64, 1);
    REQUIRE(r.inject(packet));
    REQUIRE(r.wait_rx_used(1));
    CHECK(r.bytes(addrs[0], packet.size()) == as_received(packet, 1, 0));
}
