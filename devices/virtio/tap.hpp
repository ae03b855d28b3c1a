#pragma once
// A TAP network interface (drivers/net/tun.c) as a PacketEndpoint: opened with
// IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a 12-byte virtio-net header (virtio_net_hdr_v1)
// in front of every frame, non-blocking. Closing the fd destroys a TAP we created; a
// persistent one (`ip tuntap add ... mode tap`) stays.
#include <string>

#include "base/fd.hpp"
#include "base/result.hpp"
#include "devices/virtio/net_endpoint.hpp"

namespace hyper::virtio {

class Tap final : public PacketEndpoint {
  public:
    // Attaches to the TAP `name`, or creates it when it does not exist (that needs
    // CAP_NET_ADMIN) and sets the link up; addresses and bridges are the user's business.
    // Errors, one line each: a bad name (ExitCode::Usage); /dev/net/tun missing, the TAP
    // attached to another process, or `name` taken by an interface that is not a
    // single-queue TAP (ExitCode::NoInput); no permission (ExitCode::NoPermission).
    static Result<Tap> open(const std::string& name);
    Tap(Tap&&) = default;
    Tap& operator=(Tap&&) = default;

    // The interface name the kernel confirmed.
    const std::string& name() const override { return m_name; }
    // Whether open() created the interface (it goes away with this object).
    bool created() const { return m_created; }
    int fd() const override { return m_fd.get(); }
    ssize_t read_packet(const iovec* iov, int count) override;
    ssize_t write_packet(const iovec* iov, int count) override;
    // TUNSETOFFLOAD. TSO flags need k_offload_csum (the kernel ignores them without it).
    Result<void> set_offload(unsigned flags) override;

  private:
    Tap() = default;
    Fd m_fd;
    std::string m_name;
    bool m_created{false};
};

} // namespace hyper::virtio
