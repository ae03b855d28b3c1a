// Target "net": the virtio-net data path (devices/virtio/net_worker.cpp, net_rx.cpp), the
// NetWorker the device's I/O thread runs, driven turn by turn (NetWorker::step) on this
// thread over fake guest RAM, with a fake TAP in memory. The input is the guest's RAM
// (TX chains of header + frame, RX buffers) and a script of what happens: kicks, the guest
// adding ring entries, packets arriving from the TAP, the TAP refusing or vanishing.
//
// Input: 1 flag byte, 47 script bytes, then guest RAM from address 0.
//   flags: bit 0 MRG_RXBUF, 1 GUEST_CSUM, 2 EVENT_IDX, 3 INDIRECT_DESC
//   RX queue (16 entries): descriptors 0x0, avail 0x100, used 0x200;
//   TX queue (16 entries): descriptors 0x400, avail 0x500, used 0x600.
//   script byte: op = low 3 bits, arg = the other 5 (see run_op).
// Checks: every buffer the endpoint is handed lies in guest RAM (or is the bounce buffer),
// TX packets hold a header and at most one largest packet, nothing touches the endpoint
// once the worker asked for a reset, and no file descriptor outlives the input.
#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "base/event_fd.hpp"
#include "base/fd.hpp"
#include "devices/virtio/net_spec.hpp"
#include "devices/virtio/net_worker.hpp"
#include "tests/fuzz/fuzz_memory.hpp"
#include "tests/fuzz/targets.hpp"

namespace hyper::fuzz {

namespace {

constexpr size_t k_header = 48;
constexpr uint16_t k_queue = 16;
constexpr uint64_t k_rx_desc = 0x0, k_rx_avail = 0x100, k_rx_used = 0x200;
constexpr uint64_t k_tx_desc = 0x400, k_tx_avail = 0x500, k_tx_used = 0x600;
constexpr size_t k_max_inbound = 16;
constexpr uint32_t k_lengths[16] = {0,    1,    11,    12,    13,    60,    64,    1514,
                                    4096, 9000, 32768, 65535, 65550, 65562, 65563, 70000};

bool inside_ram(const GuestMemory& mem, const iovec& v) {
    auto base = reinterpret_cast<uintptr_t>(mem.host_base());
    auto start = reinterpret_cast<uintptr_t>(v.iov_base);
    return start >= base && v.iov_len <= mem.total_size() &&
           start - base <= mem.total_size() - v.iov_len;
}

// The TAP: packets queued in memory; its fd is one end of a socket pair whose other end
// makes it readable (a byte waits while packets do) or hung up (closed).
class FakeTap final : public virtio::PacketEndpoint {
  public:
    FakeTap(const GuestMemory& mem, Fd ours, Fd peer)
        : m_mem(mem), m_ours(std::move(ours)), m_peer(std::move(peer)) {}
    const std::string& name() const override { return m_name; }
    int fd() const override { return m_ours.get(); }

    ssize_t read_packet(const iovec* iov, int count) override {
        check(!reset_asked, "net: endpoint read after the worker asked for a reset");
        check(count > 0 && count <= 1024, "net: read_packet iovec count");
        if (read_error) {
            read_error = false;
            return -EIO;
        }
        if (inbound.empty())
            return -EAGAIN;
        std::vector<uint8_t> packet = std::move(inbound.front());
        inbound.pop_front();
        update_readable();
        bool bounce = count == 1 && !inside_ram(m_mem, iov[0]);
        check(!bounce || iov[0].iov_len == virtio::net::k_max_packet,
              "net: read into a buffer that is neither guest RAM nor the bounce buffer");
        size_t done = 0;
        for (int i = 0; i < count; i++) {
            check(bounce || inside_ram(m_mem, iov[i]), "net: RX iovec outside guest RAM");
            size_t n = std::min(iov[i].iov_len, packet.size() - done);
            if (n > 0)
                std::memcpy(iov[i].iov_base, packet.data() + done, n);
            done += n;
        }
        return static_cast<ssize_t>(packet.size());
    }

    ssize_t write_packet(const iovec* iov, int count) override {
        check(!reset_asked, "net: endpoint write after the worker asked for a reset");
        check(count > 0 && count <= 1024, "net: write_packet iovec count");
        uint64_t total = 0;
        for (int i = 0; i < count; i++) {
            check(inside_ram(m_mem, iov[i]), "net: TX iovec outside guest RAM");
            total += iov[i].iov_len;
        }
        check(total >= virtio::net::k_header_size && total <= virtio::net::k_max_packet,
              "net: TX packet size");
        volatile uint8_t sink = 0; // touch every byte, as writev would
        for (int i = 0; i < count; i++)
            for (size_t j = 0; j < iov[i].iov_len; j++)
                sink = sink + static_cast<const uint8_t*>(iov[i].iov_base)[j];
        switch (write_mode) {
        case 1: return -EAGAIN;
        case 2: return -EIO;
        default: return static_cast<ssize_t>(total);
        }
    }

    Result<void> set_offload(unsigned) override { return {}; }

    void inject(std::vector<uint8_t> packet) {
        if (inbound.size() < k_max_inbound)
            inbound.push_back(std::move(packet));
        update_readable();
    }
    void hang_up() { m_peer = Fd(); }

    std::deque<std::vector<uint8_t>> inbound;
    int write_mode{0}; // 0 accept, 1 EAGAIN, 2 EIO
    bool read_error{false};
    bool reset_asked{false};

  private:
    // One byte waits in the socket while packets do.
    void update_readable() {
        uint8_t byte = 0;
        if (!m_peer.valid())
            return;
        bool has = ::recv(m_ours.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
        if (!inbound.empty() && !has)
            (void)!::send(m_peer.get(), &byte, 1, MSG_DONTWAIT);
        else if (inbound.empty() && has)
            (void)!::recv(m_ours.get(), &byte, 1, MSG_DONTWAIT);
    }

    const GuestMemory& m_mem;
    Fd m_ours;
    Fd m_peer;
    std::string m_name{"fuzz-tap"};
};

virtio::Queue make_queue(const GuestMemory& mem, uint64_t desc, uint64_t avail, uint64_t used,
                         uint8_t flags) {
    virtio::Queue q(k_queue);
    q.set_size(k_queue);
    q.set_desc_table(GuestAddress(desc));
    q.set_avail_ring(GuestAddress(avail));
    q.set_used_ring(GuestAddress(used));
    q.set_features(flags & 4, flags & 8);
    check(q.valid(mem), "net: ring layout");
    q.set_ready(true);
    return q;
}

void bump_avail(const GuestMemory& mem, uint64_t ring, unsigned by) {
    uint16_t idx = mem.read_obj<uint16_t>(GuestAddress(ring + 2)).value();
    (void)mem.write_obj<uint16_t>(GuestAddress(ring + 2), static_cast<uint16_t>(idx + by));
}

// The lowest free descriptor number: equal before and after an input unless one leaked.
int lowest_free_fd() {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::close(fd);
    return fd;
}

} // namespace

int net(const uint8_t* data, size_t size) {
    if (size < k_header)
        return 0;
    int fd_mark = lowest_free_fd();
    uint8_t flags = data[0];
    std::span<const uint8_t> script(data + 1, k_header - 1);
    std::span<const uint8_t> ram_image(data + k_header, size - k_header);
    const GuestMemory& mem = fill_fake_ram(ram_image);
    {
        virtio::Queue rx = make_queue(mem, k_rx_desc, k_rx_avail, k_rx_used, flags);
        virtio::Queue tx = make_queue(mem, k_tx_desc, k_tx_avail, k_tx_used, flags);
        EventFd rx_notify = EventFd::create().value();
        EventFd tx_notify = EventFd::create().value();
        EventFd stop = EventFd::create().value();
        int fds[2];
        check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0,
              "net: socketpair");
        FakeTap tap(mem, Fd(fds[0]), Fd(fds[1]));
        virtio::NetStats stats;
        virtio::NetWorkerSetup setup{&mem,
                                     &rx,
                                     &tx,
                                     &rx_notify,
                                     &tx_notify,
                                     &stop,
                                     &tap,
                                     (flags & 1) != 0,
                                     (flags & 2) != 0,
                                     &stats,
                                     [] {},
                                     [&tap] { tap.reset_asked = true; }};
        auto worker = virtio::NetWorker::create(std::move(setup));
        check(worker.has_value(), "net: NetWorker::create");
        bool running = true;
        auto step = [&] {
            if (running)
                running = (*worker)->step(0);
        };
        uint32_t packet_no = 0, read_errors = 0;
        for (uint8_t b : script) {
            unsigned op = b & 7, arg = b >> 3;
            switch (op) {
            case 0: step(); break;
            case 1: rx_notify.signal(); break;
            case 2: tx_notify.signal(); break;
            case 3: { // a packet from the TAP; its bytes come from the input, cyclically
                std::vector<uint8_t> p(k_lengths[arg & 15]);
                for (size_t i = 0; i < p.size() && !ram_image.empty(); i++)
                    p[i] = static_cast<uint8_t>(ram_image[(i + packet_no * 61) % ram_image.size()] +
                                                (arg >> 4));
                packet_no++;
                tap.inject(std::move(p));
                break;
            }
            case 4: bump_avail(mem, k_rx_avail, arg + 1); break;
            case 5: bump_avail(mem, k_tx_avail, arg + 1); break;
            case 6: tap.write_mode = static_cast<int>(arg % 3); break;
            default:
                if (arg % 4 == 0) {
                    tap.hang_up();
                } else if (arg % 4 == 1) {
                    tap.read_error = true;
                    read_errors++;
                } else {
                    for (int i = 0; i < 4; i++)
                        step();
                }
                break;
            }
        }
        for (int i = 0; i < 4; i++)
            step();
        stop.signal();
        if (running)
            check(!(*worker)->step(0), "net: the worker ignored stop");
        uint64_t frames = stats.rx_frames + stats.rx_dropped;
        check(frames <= packet_no + read_errors, "net: more RX frames than packets");
    }
    check(lowest_free_fd() == fd_mark, "net: a file descriptor leaked");
    return 0;
}

} // namespace hyper::fuzz
