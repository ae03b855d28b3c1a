#pragma once
// Test helper: the host side of virtio-vsock tests, blocking Unix sockets with 5 s timeouts
// (connect, listen, accept within a deadline, whole reads and writes).
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <span>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <vector>

#include "base/fd.hpp"

namespace hyper::virtio::testing {

inline std::vector<uint8_t> to_bytes(const std::string& s) {
    return std::vector<uint8_t>(s.begin(), s.end());
}

inline void set_timeouts(int fd) {
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}
inline sockaddr_un unix_addr(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    return addr;
}
inline Fd host_connect(const std::string& path) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr = unix_addr(path);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return Fd();
    set_timeouts(fd.get());
    return fd;
}
inline Fd host_listen(const std::string& path) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr = unix_addr(path);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd.get(), 64) != 0)
        return Fd();
    return fd;
}
inline Fd host_accept(int listener, int timeout_ms = 5000) {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1)
        return Fd();
    Fd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (fd.valid())
        set_timeouts(fd.get());
    return fd;
}
inline bool write_all(int fd, std::span<const uint8_t> data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        data = data.subspan(static_cast<size_t>(n));
    }
    return true;
}
inline bool write_all(int fd, const std::string& s) {
    return write_all(fd, std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}
// Up to `n` bytes; fewer on EOF, error or timeout.
inline std::vector<uint8_t> read_exact(int fd, size_t n) {
    std::vector<uint8_t> out(n);
    size_t got = 0;
    while (got < n) {
        ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
        if (r <= 0)
            break;
        got += static_cast<size_t>(r);
    }
    out.resize(got);
    return out;
}
inline std::string read_line(int fd) {
    std::string line;
    char c;
    while (line.size() < 64 && ::recv(fd, &c, 1, 0) == 1) {
        line += c;
        if (c == '\n')
            break;
    }
    return line;
}
// True when the peer closed (EOF) within the timeout; data before it is discarded.
inline bool sees_eof(int fd) {
    char buf[4096];
    for (;;) {
        ssize_t r = ::recv(fd, buf, sizeof buf, 0);
        if (r == 0)
            return true;
        if (r < 0)
            return errno == ECONNRESET;
    }
}

} // namespace hyper::virtio::testing
