// Target "vsock_worker": the virtio-vsock connection state machine (devices/virtio/
// vsock_worker.cpp, vsock_guest.cpp, vsock_host.cpp, vsock_connection.cpp), the VsockWorker
// the device's I/O thread runs, driven turn by turn (VsockWorker::step) on this thread over
// fake guest RAM. The host side is real Unix sockets in a scratch directory: the device's
// listening socket "v" and two host services "v_1024" and "v_5000" the guest may connect
// to; a script plays the host clients (CONNECT lines, data, half-closes, closes) and the
// guest's kicks and ring updates. Unix sockets deliver synchronously, so a run depends on
// the input alone.
//
// Input: 48 script bytes, then guest RAM from address 0. Queues of 8 entries:
//   RX: descriptors 0x0, avail 0x80, used 0x100;  TX: 0x200, 0x280, 0x300;
//   event: 0x400, 0x480, 0x500. The guest's CID is 3.
//   script byte: op = low 4 bits, arg = high 4 bits (see the switch below).
// Checks: the rings stay untouched once the worker asked for a reset, nothing but the
// three sockets appears in the scratch directory, no file descriptor outlives the input.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "base/event_fd.hpp"
#include "base/fd.hpp"
#include "devices/virtio/vsock_socket.hpp"
#include "devices/virtio/vsock_worker.hpp"
#include "tests/fuzz/fuzz_memory.hpp"
#include "tests/fuzz/targets.hpp"

namespace hyper::fuzz {

namespace {

constexpr size_t k_script = 48;
constexpr uint16_t k_queue = 8;
constexpr uint64_t k_rings[3] = {0x0, 0x200, 0x400}; // + 0 descriptors, 0x80 avail, 0x100 used
constexpr size_t k_max_host = 8;
constexpr uint32_t k_ports[4] = {1024, 5000, 80, 0xffffffff};
constexpr size_t k_lengths[4] = {1, 60, 4096, 65536};

// The scratch directory, made once per process and removed at exit.
const std::string& scratch_dir() {
    static const std::string dir = [] {
        char name[] = "/tmp/hyper-fuzz-vsock-XXXXXX";
        check(::mkdtemp(name) != nullptr, "vsock_worker: mkdtemp");
        static std::string path = name;
        std::atexit([] { ::rmdir(path.c_str()); });
        return std::string(name);
    }();
    return dir;
}

std::vector<std::string> dir_entries(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d))
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                out.emplace_back(e->d_name);
        ::closedir(d);
    }
    return out;
}

int lowest_free_fd() {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::close(fd);
    return fd;
}

uint16_t used_idx(const GuestMemory& mem, unsigned q) {
    return mem.read_obj<uint16_t>(GuestAddress(k_rings[q] + 0x102)).value();
}

void bump_avail(const GuestMemory& mem, unsigned q, unsigned by) {
    GuestAddress idx(k_rings[q] + 0x82);
    uint16_t v = mem.read_obj<uint16_t>(idx).value();
    (void)mem.write_obj<uint16_t>(idx, static_cast<uint16_t>(v + by));
}

// The host's ends: clients of the device's socket and connections the guest opened.
struct Host {
    std::vector<Fd> fds;
    void add(Fd fd) {
        if (fd.valid() && fds.size() < k_max_host)
            fds.push_back(std::move(fd));
    }
    int at(unsigned i) const { return fds.empty() ? -1 : fds[i % fds.size()].get(); }
    void accept_all(int listener) {
        for (;;) {
            Fd fd(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!fd.valid())
                return;
            add(std::move(fd));
        }
    }
};

Fd connect_client(const std::string& path) {
    auto fd = virtio::connect_unix(path);
    return fd ? std::move(*fd) : Fd();
}

void send_text(int fd, const std::string& text) {
    if (fd >= 0)
        (void)!::send(fd, text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

} // namespace

int vsock_worker(const uint8_t* data, size_t size) {
    if (size < k_script)
        return 0;
    const std::string& dir = scratch_dir();
    int fd_mark = lowest_free_fd();
    std::span<const uint8_t> script(data, k_script);
    const GuestMemory& mem = fill_fake_ram(std::span(data + k_script, size - k_script));
    const std::string base = dir + "/v";
    {
        Fd listener = virtio::listen_unix(base).value();
        Fd services[2] = {virtio::listen_unix(base + "_1024").value(),
                          virtio::listen_unix(base + "_5000").value()};
        std::vector<virtio::Queue> queues;
        queues.reserve(3);
        for (uint64_t r : k_rings) {
            virtio::Queue& q = queues.emplace_back(k_queue);
            q.set_size(k_queue);
            q.set_desc_table(GuestAddress(r));
            q.set_avail_ring(GuestAddress(r + 0x80));
            q.set_used_ring(GuestAddress(r + 0x100));
            q.set_features(true, true);
            check(q.valid(mem), "vsock_worker: ring layout");
            q.set_ready(true);
        }
        EventFd notify[3] = {EventFd::create().value(), EventFd::create().value(),
                             EventFd::create().value()};
        EventFd stop = EventFd::create().value();
        EventFd reset_request = EventFd::create().value();
        virtio::VsockStats stats;
        bool reset_asked = false;
        uint16_t used_at_reset[3] = {};
        virtio::VsockWorkerSetup setup{&mem,
                                       {&queues[0], &queues[1], &queues[2]},
                                       {&notify[0], &notify[1], &notify[2]},
                                       &stop,
                                       &reset_request,
                                       listener.get(),
                                       3,
                                       base,
                                       &stats,
                                       [] {},
                                       [&] {
                                           reset_asked = true;
                                           for (unsigned q = 0; q < 3; q++)
                                               used_at_reset[q] = used_idx(mem, q);
                                       }};
        Host host;
        {
            virtio::VsockWorker worker(setup);
            bool running = worker.start();
            auto step = [&] {
                if (running)
                    running = worker.step(0);
                for (const Fd& s : services)
                    host.accept_all(s.get());
            };
            for (uint8_t b : script) {
                unsigned op = b & 15, arg = b >> 4;
                switch (op) {
                case 0: step(); break;
                case 1:
                case 2:
                case 3: notify[op - 1].signal(); break;
                case 4:
                case 5:
                case 6: bump_avail(mem, op - 4, arg + 1); break;
                case 7: { // a host client asks for a guest port
                    Fd fd = connect_client(base);
                    std::string port = std::to_string(k_ports[arg & 3]);
                    const char* lines[4] = {"\n", "\r\n", "", "\nearly bytes"};
                    send_text(fd.get(), "CONNECT " + port + lines[arg >> 2]);
                    host.add(std::move(fd));
                    break;
                }
                case 8: {
                    std::string bytes(k_lengths[arg >> 2], static_cast<char>('a' + arg));
                    send_text(host.at(arg & 3), bytes);
                    break;
                }
                case 9:
                    if (host.at(arg) >= 0)
                        ::shutdown(host.at(arg), SHUT_WR);
                    break;
                case 10:
                    if (!host.fds.empty())
                        host.fds.erase(host.fds.begin() + arg % host.fds.size());
                    break;
                case 11: { // the host reads what it was sent
                    char sink[16384];
                    for (int i = 0; i < 64 && host.at(arg) >= 0; i++)
                        if (::recv(host.at(arg), sink, sizeof sink, MSG_DONTWAIT) <= 0)
                            break;
                    break;
                }
                case 12: reset_request.signal(); break;
                case 13:
                    worker.expire_deadlines(virtio::VsockClock::now() + std::chrono::hours(1));
                    break;
                case 14:
                    for (int i = 0; i < 4; i++)
                        step();
                    break;
                default: { // a client that gives up half way through its line
                    Fd fd = connect_client(base);
                    send_text(fd.get(), "CONN");
                    break;
                }
                }
            }
            for (int i = 0; i < 4; i++)
                step();
            stop.signal();
            if (running)
                check(!worker.step(0), "vsock_worker: the worker ignored stop");
            check(stats.connections <= virtio::VsockWorker::k_max_connections,
                  "vsock_worker: connection limit");
        }
        if (reset_asked)
            for (unsigned q = 0; q < 3; q++)
                check(used_idx(mem, q) == used_at_reset[q],
                      "vsock_worker: a ring was written after the reset request");
    }
    auto left = dir_entries(dir);
    std::sort(left.begin(), left.end());
    check(left == std::vector<std::string>{"v", "v_1024", "v_5000"},
          "vsock_worker: something besides the three sockets appeared in the scratch dir");
    for (const auto& name : left)
        ::unlink((dir + "/" + name).c_str());
    check(lowest_free_fd() == fd_mark, "vsock_worker: a file descriptor leaked");
    return 0;
}

} // namespace hyper::fuzz
