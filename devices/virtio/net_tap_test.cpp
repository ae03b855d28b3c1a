// The TAP endpoint against the real kernel: needs /dev/net/tun and CAP_NET_ADMIN (root
// in the test environments); the tests that need them say so and skip otherwise.
#include <arpa/inet.h>
#include <cstdio>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <fstream>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/virtio/net.hpp"
#include "devices/virtio/net_test_rig.hpp"
#include "devices/virtio/tap.hpp"

using namespace hyper;
using namespace hyper::virtio;
using namespace hyper::virtio::testing;

namespace {

constexpr uint16_t k_ethertype = 0x88b5; // local experimental: nothing else sends it

// A name no other test run uses at the same time.
std::string test_tap_name(const char* suffix) {
    return "hyt" + std::to_string(::getpid() % 1000000) + suffix;
}

// Opens a TAP, or says why the test is skipped.
std::optional<Tap> open_or_skip(const std::string& name) {
    if (::access("/dev/net/tun", F_OK) != 0) {
        MESSAGE("/dev/net/tun missing: TAP test skipped");
        return std::nullopt;
    }
    auto tap = Tap::open(name);
    if (!tap && tap.error().exit_code() == ExitCode::NoPermission) {
        MESSAGE("no CAP_NET_ADMIN: TAP test skipped (" << tap.error().to_string() << ")");
        return std::nullopt;
    }
    REQUIRE_MESSAGE(tap, (tap ? "" : tap.error().to_string()));
    return std::move(*tap);
}

std::vector<uint8_t> ether_frame(const MacAddress& dst, const MacAddress& src, size_t payload,
                                 uint8_t seed) {
    std::vector<uint8_t> f(14 + payload);
    std::copy(dst.begin(), dst.end(), f.begin());
    std::copy(src.begin(), src.end(), f.begin() + 6);
    f[12] = k_ethertype >> 8;
    f[13] = k_ethertype & 0xff;
    for (size_t i = 0; i < payload; i++)
        f[14 + i] = static_cast<uint8_t>(seed + i);
    return f;
}

bool link_up(const std::string& name) {
    std::ifstream in("/sys/class/net/" + name + "/flags");
    unsigned flags = 0;
    in >> std::hex >> flags;
    return (flags & IFF_UP) != 0;
}

} // namespace

TEST_CASE("tap names are checked before anything is opened") {
    for (const char* bad : {"", "a-name-of-16-chr", "a/b", "a b", "..", "x:1"}) {
        auto tap = Tap::open(bad);
        REQUIRE_FALSE(tap);
        CHECK_MESSAGE(tap.error().exit_code() == ExitCode::Usage, bad);
    }
}

TEST_CASE("tap devices are created, attached and refused when busy") {
    std::string name = test_tap_name("a");
    auto tap = open_or_skip(name);
    if (!tap)
        return;
    CHECK(tap->created());
    CHECK(tap->name() == name);
    CHECK(link_up(name));
    CHECK(tap->set_offload(k_offload_csum | k_offload_tso4 | k_offload_tso6 | k_offload_tso_ecn));
    CHECK(tap->set_offload(0));
    auto busy = Tap::open(name);
    REQUIRE_FALSE(busy);
    CHECK(busy.error().exit_code() == ExitCode::NoInput);
    CHECK(busy.error().to_string() == "tap " + name + " is in use");
    auto not_tap = Tap::open("lo");
    REQUIRE_FALSE(not_tap);
    CHECK(not_tap.error().exit_code() == ExitCode::NoInput);

    // A persistent TAP made by someone else is attached, not created, and stays.
    std::string persistent = test_tap_name("p");
    {
        Fd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
        REQUIRE(fd.valid());
        ifreq ifr{};
        std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", persistent.c_str());
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        REQUIRE(::ioctl(fd.get(), TUNSETIFF, &ifr) == 0);
        REQUIRE(::ioctl(fd.get(), TUNSETPERSIST, 1) == 0);
    }
    auto attached = Tap::open(persistent);
    REQUIRE_MESSAGE(attached, (attached ? "" : attached.error().to_string()));
    CHECK_FALSE(attached->created());
    CHECK(::ioctl(attached->fd(), TUNSETPERSIST, 0) == 0); // gone when closed
}

TEST_CASE("virtio-net moves frames through a real tap") {
    std::string name = test_tap_name("n");
    {
        auto probe = open_or_skip(name); // closed again: the device creates its own
        if (!probe)
            return;
    }
    NetOptions options;
    options.tap = name;
    auto dev = Net::open(options);
    REQUIRE_MESSAGE(dev, (dev ? "" : dev.error().to_string()));
    CHECK((*dev)->created_tap());
    MacAddress mac = (*dev)->mac();
    CHECK(mac == mac_from_seed(name));
    NetRig r(std::move(*dev));
    REQUIRE(r.bring_up() ==
            (k_status_acknowledge | k_status_driver | k_status_features_ok | k_status_driver_ok));
    CHECK(r.net->offload() ==
          (k_offload_csum | k_offload_tso4 | k_offload_tso6 | k_offload_tso_ecn));

    // The host side: a packet socket on the interface.
    Fd sock(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
    REQUIRE(sock.valid());
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_ALL);
    addr.sll_ifindex = static_cast<int>(if_nametoindex(name.c_str()));
    REQUIRE(addr.sll_ifindex != 0);
    REQUIRE(::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);

    // Guest to host.
    MacAddress broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    auto frame = ether_frame(broadcast, mac, 300, 1);
    std::vector<uint8_t> packet(net::k_header_size);
    packet.insert(packet.end(), frame.begin(), frame.end());
    r.send_tx(packet, {12});
    bool seen = wait_for([&] {
        uint8_t buf[2048];
        ssize_t n = ::recv(sock.get(), buf, sizeof buf, MSG_DONTWAIT);
        return n == static_cast<ssize_t>(frame.size()) &&
               std::equal(frame.begin(), frame.end(), buf);
    });
    CHECK(seen);
    CHECK(r.wait_tx_used(1));

    // Host to guest (the kernel may send its own frames first: look for ours).
    auto addrs = r.post_rx(32, 2048);
    auto in = ether_frame(mac, {0x02, 0, 0, 0, 0, 1}, 200, 9);
    REQUIRE(::sendto(sock.get(), in.data(), in.size(), 0, reinterpret_cast<sockaddr*>(&addr),
                     sizeof addr) == static_cast<ssize_t>(in.size()));
    bool received = wait_for([&] {
        for (uint16_t i = 0; i != r.rx.used_idx(); i++) {
            UsedElem e = r.rx.used(i);
            if (e.id >= addrs.size() || e.len != net::k_header_size + in.size())
                continue;
            auto got = r.bytes(addrs[e.id] + net::k_header_size, in.size());
            if (got == in && r.num_buffers(addrs[e.id]) == 1)
                return true;
        }
        return false;
    });
    CHECK(received);
    CHECK(r.net->counters().rx_dropped == 0);
}
