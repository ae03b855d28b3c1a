#pragma once
// Test helper: a virtio-net device behind a virtio-mmio transport, its packets going to
// a SOCK_DGRAM socket pair (one datagram per packet, like a TAP) instead of a TAP, and a
// fake driver for each of its two queues.
#include <atomic>
#include <chrono>
#include <cstring>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <vector>

#include "base/fd.hpp"
#include "devices/virtio/mmio.hpp"
#include "devices/virtio/net.hpp"
#include "devices/virtio/testing/fake_driver.hpp"

namespace hyper::virtio::testing {

// The device's end of the pair. Records the offloads it is given.
class SocketEndpoint final : public PacketEndpoint {
  public:
    explicit SocketEndpoint(Fd fd) : m_fd(std::move(fd)) {}
    const std::string& name() const override { return m_name; }
    int fd() const override { return m_fd.get(); }
    ssize_t read_packet(const iovec* iov, int count) override {
        msghdr msg{};
        msg.msg_iov = const_cast<iovec*>(iov);
        msg.msg_iovlen = static_cast<size_t>(count);
        ssize_t n = ::recvmsg(m_fd.get(), &msg, MSG_TRUNC); // the whole length, like a TAP
        return n < 0 ? -errno : n;
    }
    ssize_t write_packet(const iovec* iov, int count) override {
        ssize_t n = ::writev(m_fd.get(), iov, count);
        return n < 0 ? -errno : n;
    }
    Result<void> set_offload(unsigned flags) override {
        offload.store(flags);
        offload_calls++;
        return {};
    }
    std::atomic<unsigned> offload{~0u};
    std::atomic<int> offload_calls{0};

  private:
    Fd m_fd;
    std::string m_name{"socketpair"};
};

// Waits up to `timeout` for `done()`; never hangs a test.
template <typename F>
bool wait_for(F done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end)
            return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

// CPU time (clock ticks) used so far by the threads named "virtio-net" of this process.
inline uint64_t net_thread_ticks() {
    uint64_t ticks = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        std::getline(comm, name);
        if (name != "virtio-net")
            continue;
        std::ifstream stat(task.path() / "stat");
        std::string line;
        std::getline(stat, line);
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        std::string field;
        for (int i = 3; i <= 13 && rest >> field; i++) {
        }
        uint64_t utime = 0, stime = 0;
        rest >> utime >> stime;
        ticks += utime + stime;
    }
    return ticks;
}

// Bytes 0..n-1 of a recognisable frame: a 12-byte virtio-net header, then `seed`-based
// bytes.
inline std::vector<uint8_t> make_packet(size_t frame_len, uint8_t seed, uint8_t hdr_flags = 0) {
    std::vector<uint8_t> p(net::k_header_size + frame_len);
    p[0] = hdr_flags;
    p[10] = 0xaa; // num_buffers: the device must overwrite it
    p[11] = 0xbb;
    for (size_t i = 0; i < frame_len; i++)
        p[net::k_header_size + i] = static_cast<uint8_t>(seed + i * 7 + i / 251);
    return p;
}

class NetRig {
  public:
    static constexpr uint16_t k_queue = 256;
    static constexpr uint64_t k_rx_rings = 0x1000;
    static constexpr uint64_t k_tx_rings = 0x10000;
    static constexpr uint64_t k_buffers = 0x100000; // 7 MiB of packet buffers from here
    static constexpr uint64_t k_memory = 8 << 20;
    static constexpr uint64_t k_all_features = ~0ull;

    explicit NetRig(MacAddress mac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55})
        : mem(make_memory(k_memory)), rx(mem, k_queue, k_rx_rings), tx(mem, k_queue, k_tx_rings) {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
        peer = Fd(fds[1]);
        auto ep = std::make_unique<SocketEndpoint>(Fd(fds[0]));
        endpoint = ep.get();
        auto dev = Net::create(std::move(ep), mac);
        net = dev.get();
        transport =
            MmioTransport::create(std::move(dev), mem, devices::IrqLine(EventFd::create().value()))
                .value();
    }
    // Over a device with its own endpoint (a TAP); inject()/receive() do not apply.
    explicit NetRig(std::unique_ptr<Net> dev)
        : mem(make_memory(k_memory)), rx(mem, k_queue, k_rx_rings), tx(mem, k_queue, k_tx_rings),
          endpoint(nullptr), net(dev.get()) {
        transport =
            MmioTransport::create(std::move(dev), mem, devices::IrqLine(EventFd::create().value()))
                .value();
    }
    NetRig(const NetRig&) = delete;
    NetRig& operator=(const NetRig&) = delete;

    uint64_t offered_features() {
        mmio_write(*transport, 0x14, 0);
        uint64_t low = mmio_read(*transport, 0x10);
        mmio_write(*transport, 0x14, 1);
        return low | (uint64_t{mmio_read(*transport, 0x10)} << 32);
    }
    // Accepts `wanted` & offered and sets both queues up; returns the status register.
    uint32_t bring_up(uint64_t wanted = k_all_features) {
        devices::BusDevice& t = *transport;
        uint64_t features = offered_features() & wanted;
        mmio_write(t, 0x70, 0);
        mmio_write(t, 0x70, k_status_acknowledge);
        mmio_write(t, 0x70, k_status_acknowledge | k_status_driver);
        mmio_write(t, 0x24, 0);
        mmio_write(t, 0x20, static_cast<uint32_t>(features));
        mmio_write(t, 0x24, 1);
        mmio_write(t, 0x20, static_cast<uint32_t>(features >> 32));
        uint32_t status = k_status_acknowledge | k_status_driver | k_status_features_ok;
        mmio_write(t, 0x70, status);
        const FakeDriver* drivers[] = {&rx, &tx};
        for (uint32_t q = 0; q < 2; q++) {
            const FakeDriver& d = *drivers[q];
            mmio_write(t, 0x30, q);
            mmio_write(t, 0x38, d.size());
            mmio_write(t, 0x80, static_cast<uint32_t>(d.desc_addr()));
            mmio_write(t, 0x84, 0);
            mmio_write(t, 0x90, static_cast<uint32_t>(d.avail_addr()));
            mmio_write(t, 0x94, 0);
            mmio_write(t, 0xa0, static_cast<uint32_t>(d.used_addr()));
            mmio_write(t, 0xa4, 0);
            mmio_write(t, 0x44, 1);
        }
        mmio_write(t, 0x70, status | k_status_driver_ok);
        return mmio_read(t, 0x70);
    }
    uint32_t status() { return mmio_read(*transport, 0x70); }
    // Status 0 (the device thread stops), fresh rings.
    void reset() {
        mmio_write(*transport, 0x70, 0);
        std::vector<uint8_t> zeros(0x20000);
        (void)mem.write(GuestAddress(k_rx_rings), zeros);
        rx = FakeDriver(mem, k_queue, k_rx_rings);
        tx = FakeDriver(mem, k_queue, k_tx_rings);
    }
    // A reset and a new bring-up.
    uint32_t restart(uint64_t wanted = k_all_features) {
        reset();
        return bring_up(wanted);
    }
    void notify_rx() { mmio_write(*transport, MmioTransport::k_queue_notify_offset, 0); }
    void notify_tx() { mmio_write(*transport, MmioTransport::k_queue_notify_offset, 1); }

    // A fresh guest buffer area of `len` bytes (bump allocation, 64-byte aligned).
    uint64_t alloc(uint64_t len) {
        uint64_t addr = k_buffers + m_next;
        m_next += (len + 63) & ~63ull;
        REQUIRE(addr + len <= k_memory);
        return addr;
    }
    // Posts `count` receive chains of one `len`-byte buffer each; returns their addresses.
    std::vector<uint64_t> post_rx(unsigned count, uint32_t len, bool notify = true) {
        std::vector<uint64_t> addrs;
        for (unsigned i = 0; i < count; i++) {
            addrs.push_back(alloc(len));
            Buffer b{addrs.back(), len, true};
            rx.add_chain(std::span(&b, 1));
        }
        if (notify)
            notify_rx();
        return addrs;
    }
    // Copies `packet` into guest memory split at `cuts` and sends it as one TX chain.
    uint16_t send_tx(const std::vector<uint8_t>& packet, std::vector<size_t> cuts = {},
                     bool notify = true) {
        std::vector<Buffer> bufs;
        size_t start = 0;
        cuts.push_back(packet.size());
        for (size_t end : cuts) {
            uint64_t addr = alloc(end - start);
            write(addr, std::span(packet).subspan(start, end - start));
            bufs.push_back({addr, static_cast<uint32_t>(end - start), false});
            start = end;
        }
        uint16_t head = tx.add_chain(bufs);
        if (notify)
            notify_tx();
        return head;
    }

    // The peer's side of the socket pair.
    bool inject(const std::vector<uint8_t>& packet) {
        return ::send(peer.get(), packet.data(), packet.size(), 0) ==
               static_cast<ssize_t>(packet.size());
    }
    // The next packet the device sent, or empty after `timeout`.
    std::vector<uint8_t> receive(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        pollfd p{peer.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1)
            return {};
        std::vector<uint8_t> buf(70000);
        ssize_t n = ::recv(peer.get(), buf.data(), buf.size(), 0);
        buf.resize(n < 0 ? 0 : static_cast<size_t>(n));
        return buf;
    }

    void write(uint64_t addr, std::span<const uint8_t> bytes) {
        REQUIRE(mem.write(GuestAddress(addr), bytes));
    }
    std::vector<uint8_t> bytes(uint64_t addr, size_t len) const {
        std::vector<uint8_t> out(len);
        (void)mem.read(GuestAddress(addr), out);
        return out;
    }
    uint16_t num_buffers(uint64_t header_addr) const {
        return mem.read_obj<uint16_t>(GuestAddress(header_addr + 10)).value();
    }
    bool wait_rx_used(uint16_t count) {
        return wait_for([&] { return rx.used_idx() == count; });
    }
    bool wait_tx_used(uint16_t count) {
        return wait_for([&] { return tx.used_idx() == count; });
    }
    uint64_t irq_count() const { return transport->irq().take_count(); }

    GuestMemory mem;
    FakeDriver rx;
    FakeDriver tx;
    Fd peer;
    SocketEndpoint* endpoint;
    Net* net;
    std::shared_ptr<MmioTransport> transport; // last: destroyed (thread stopped) first

  private:
    uint64_t m_next{0};
};

} // namespace hyper::virtio::testing
