#pragma once
// The host side of virtio-vsock: Unix stream sockets, as Firecracker lays them out.
//
//   host-initiated: the host connects to `uds_path` and writes "CONNECT <port>\n"; the
//                   device asks the guest to accept on <port>; when it does the host
//                   reads "OK <local_port>\n" and the socket carries the stream; when the
//                   guest refuses, the socket is closed without an answer.
//   guest-initiated: a guest connection to CID 2 port P is forwarded to a connection to
//                   "<uds_path>_<P>"; when nobody listens there the guest gets a reset.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/uio.h>

#include "base/fd.hpp"
#include "base/result.hpp"

namespace hyper::virtio {

// The longest "CONNECT <port>\n" line read before the socket is given up.
constexpr size_t k_vsock_connect_line_max = 32;

// Whether `path` fits sockaddr_un's sun_path (with its NUL).
bool unix_path_fits(const std::string& path);

// Binds and listens on `path` (non-blocking, close-on-exec). A socket file nobody listens
// on is removed first; one somebody listens on, or anything else at `path`, is refused
// with ExitCode::CantCreate naming the path.
Result<Fd> listen_unix(const std::string& path);

// A non-blocking connect to `path`. Fails (with its errno) when nobody listens there,
// when the listener's backlog is full, or when the path does not fit.
Result<Fd> connect_unix(const std::string& path);

// The port of a "CONNECT <port>" line (without its "\n"; a trailing "\r" is allowed).
std::optional<uint32_t> parse_connect_line(std::string_view line);

enum class IoStatus : uint8_t {
    Done,       // `bytes` moved (0 only for an empty request)
    WouldBlock, // EAGAIN: nothing moved
    Eof,        // the peer will send no more (reads only)
    Failed,     // the connection is broken (EPIPE, ECONNRESET, ...)
};
struct IoResult {
    IoStatus status;
    size_t bytes{0};
};

// One non-blocking sendmsg (MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE) / readv.
IoResult send_iov(int fd, const iovec* iov, size_t count);
IoResult read_iov(int fd, const iovec* iov, size_t count);

} // namespace hyper::virtio
