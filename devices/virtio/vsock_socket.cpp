#include "devices/virtio/vsock_socket.hpp"

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace hyper::virtio {

namespace {

constexpr int k_backlog = 128;

std::optional<sockaddr_un> unix_address(const std::string& path) {
    sockaddr_un addr{};
    if (path.empty() || !unix_path_fits(path))
        return std::nullopt;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    return addr;
}

Fd unix_socket() {
    return Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

// Whether somebody accepts connections on the socket file at `path`.
bool someone_listens(const sockaddr_un& addr) {
    Fd probe = unix_socket(); // non-blocking: a full backlog is EAGAIN, not a wait
    if (!probe.valid())
        return true; // cannot tell: do not remove anything
    int r = ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    return r == 0 || (errno != ECONNREFUSED && errno != ENOENT);
}

} // namespace

bool unix_path_fits(const std::string& path) {
    return path.size() < sizeof(sockaddr_un{}.sun_path);
}

Result<Fd> listen_unix(const std::string& path) {
    std::string what = "vsock socket " + path;
    auto addr = unix_address(path);
    if (!addr)
        return fail(ExitCode::CantCreate, what + ": empty or longer than " +
                                              std::to_string(sizeof addr->sun_path - 1) + " bytes");
    Fd fd = unix_socket();
    if (!fd.valid())
        return fail_errno(what + ": socket", errno, ExitCode::HostResource);
    auto* sa = reinterpret_cast<const sockaddr*>(&*addr);
    if (::bind(fd.get(), sa, sizeof *addr) < 0) {
        if (errno != EADDRINUSE)
            return fail_errno(what, errno, ExitCode::CantCreate);
        struct stat st {};
        if (::lstat(path.c_str(), &st) < 0 || !S_ISSOCK(st.st_mode))
            return fail(ExitCode::CantCreate, what + " exists and is not a socket");
        if (someone_listens(*addr))
            return fail(ExitCode::CantCreate, what + " is in use by another process");
        // A stale socket file from a vmm that is gone: take its place.
        if (::unlink(path.c_str()) < 0 && errno != ENOENT)
            return fail_errno(what + ": removing the stale socket", errno, ExitCode::CantCreate);
        if (::bind(fd.get(), sa, sizeof *addr) < 0)
            return fail_errno(what, errno, ExitCode::CantCreate);
    }
    if (::listen(fd.get(), k_backlog) < 0) {
        int err = errno;
        ::unlink(path.c_str());
        return fail_errno(what + ": listen", err, ExitCode::CantCreate);
    }
    return fd;
}

Result<Fd> connect_unix(const std::string& path) {
    auto addr = unix_address(path);
    if (!addr)
        return fail_errno(path, ENAMETOOLONG);
    Fd fd = unix_socket();
    if (!fd.valid())
        return fail_errno(path + ": socket", errno, ExitCode::HostResource);
    int r;
    do {
        r = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
    } while (r < 0 && errno == EINTR);
    // A Unix stream connect completes at once or fails (EAGAIN: the backlog is full).
    if (r < 0)
        return fail_errno(path, errno);
    return fd;
}

std::optional<uint32_t> parse_connect_line(std::string_view line) {
    constexpr std::string_view k_verb = "CONNECT ";
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (!line.starts_with(k_verb))
        return std::nullopt;
    std::string_view digits = line.substr(k_verb.size());
    if (digits.empty() || digits.size() > 10 || digits.front() < '0' || digits.front() > '9')
        return std::nullopt;
    uint64_t port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port > UINT32_MAX)
        return std::nullopt;
    return static_cast<uint32_t>(port);
}

IoResult send_iov(int fd, const iovec* iov, size_t count) {
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = count;
    for (;;) {
        ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0)
            return {IoStatus::Done, static_cast<size_t>(n)};
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return {IoStatus::WouldBlock};
        return {IoStatus::Failed};
    }
}

IoResult read_iov(int fd, const iovec* iov, size_t count) {
    for (;;) {
        ssize_t n = ::readv(fd, iov, static_cast<int>(count));
        if (n > 0)
            return {IoStatus::Done, static_cast<size_t>(n)};
        if (n == 0)
            return {IoStatus::Eof};
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return {IoStatus::WouldBlock};
        return {IoStatus::Failed};
    }
}

} // namespace hyper::virtio
