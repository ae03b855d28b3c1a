#include "devices/virtio/tap.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.hpp"
#include "devices/virtio/net_spec.hpp"

namespace hyper::virtio {

namespace {

constexpr const char* k_tun_path = "/dev/net/tun";
static_assert(k_offload_csum == TUN_F_CSUM && k_offload_tso4 == TUN_F_TSO4 &&
              k_offload_tso6 == TUN_F_TSO6 && k_offload_tso_ecn == TUN_F_TSO_ECN);

std::string tap_name(const std::string& name) {
    return "tap " + name;
}

// What dev_valid_name() in net/core/dev.c accepts.
Result<void> check_name(const std::string& name) {
    if (name.empty())
        return fail(ExitCode::Usage, "the tap name is empty");
    if (name.size() >= IFNAMSIZ)
        return fail(ExitCode::Usage, tap_name(name) + ": an interface name has at most " +
                                         std::to_string(IFNAMSIZ - 1) + " bytes");
    bool bad = name == "." || name == "..";
    for (char c : name)
        bad |= c == '/' || c == ':' || c == ' ' || (c >= '\t' && c <= '\r');
    if (bad)
        return fail(ExitCode::Usage, tap_name(name) + " is not a valid interface name");
    return {};
}

Result<Fd> open_tun() {
    Fd fd(::open(k_tun_path, O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (fd.valid())
        return fd;
    int err = errno;
    if (err == ENOENT || err == ENODEV || err == ENXIO)
        return fail(ExitCode::NoInput, "/dev/net/tun missing: load the tun module");
    if (err == EACCES || err == EPERM)
        return fail(ExitCode::NoPermission, "no permission to open /dev/net/tun");
    return fail_errno(k_tun_path, err, ExitCode::NoInput);
}

Unexpected set_iff_error(const std::string& name, int err) {
    switch (err) {
    case EBUSY: return fail(ExitCode::NoInput, tap_name(name) + " is in use");
    case EPERM:
    case EACCES:
        return fail(ExitCode::NoPermission,
                    "no permission to create/attach " + tap_name(name) +
                        " (needs CAP_NET_ADMIN or a tap owned by this user)");
    case EINVAL:
        return fail(ExitCode::NoInput,
                    "interface " + name + " exists but is not a single-queue tap device");
    default: return fail_errno("cannot attach " + tap_name(name), err, ExitCode::NoInput);
    }
}

// Best effort: a TAP we created starts down; up, it passes frames as soon as the user
// gives it an address or a bridge.
void set_link_up(const std::string& name) {
    Fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name.c_str(), name.size());
    if (!sock.valid() || ::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) {
        LOG_WARN("%s: cannot read the link flags: %s", tap_name(name).c_str(),
                 std::strerror(errno));
        return;
    }
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0)
        LOG_WARN("%s: cannot set the link up: %s", tap_name(name).c_str(), std::strerror(errno));
}

} // namespace

Result<Tap> Tap::open(const std::string& name) {
    TRY(check_name(name));
    Tap tap;
    tap.m_fd = TRY(open_tun());
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name.c_str(), name.size());
    // First ask for a new interface (IFF_TUN_EXCL): EBUSY then only means that one exists,
    // and we attach to it without the flag; EBUSY again means someone holds it.
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL;
    if (::ioctl(tap.m_fd.get(), TUNSETIFF, &ifr) == 0) {
        tap.m_created = true;
    } else {
        if (errno != EBUSY)
            return set_iff_error(name, errno);
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
        if (::ioctl(tap.m_fd.get(), TUNSETIFF, &ifr) < 0)
            return set_iff_error(name, errno);
    }
    tap.m_name.assign(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
    int hdr_size = static_cast<int>(net::k_header_size);
    if (::ioctl(tap.m_fd.get(), TUNSETVNETHDRSZ, &hdr_size) < 0)
        return fail_errno(tap_name(name) + ": TUNSETVNETHDRSZ", errno);
    // A persistent TAP keeps the offloads of its last user: start from none.
    TRY(tap.set_offload(0));
    if (tap.m_created)
        set_link_up(tap.m_name);
    return tap;
}

ssize_t Tap::read_packet(const iovec* iov, int count) {
    for (;;) {
        ssize_t n = ::readv(m_fd.get(), iov, count);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

ssize_t Tap::write_packet(const iovec* iov, int count) {
    for (;;) {
        ssize_t n = ::writev(m_fd.get(), iov, count);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

Result<void> Tap::set_offload(unsigned flags) {
    if (::ioctl(m_fd.get(), TUNSETOFFLOAD, static_cast<unsigned long>(flags)) < 0)
        return fail_errno(tap_name(m_name) + ": TUNSETOFFLOAD", errno);
    return {};
}

} // namespace hyper::virtio
