#pragma once
// virtio-vsock (virtio 1.2, 5.10), stream sockets only, bridged to host Unix sockets the
// way Firecracker does it (byte-compatible host protocol, see vsock_socket.hpp):
//
//   host -> guest: connect to `uds_path`, write "CONNECT <port>\n", read "OK <local>\n"
//                  once the guest accepted (the socket is closed if it refused), then
//                  the socket is the stream.
//   guest -> host: a guest connect to CID 2 port P becomes a connection to
//                  "<uds_path>_<P>"; nobody listening there means a reset for the guest.
//
// Creating the device binds and listens on `uds_path` (a stale socket file nobody
// listens on is replaced); destroying it removes the file. Host clients may connect
// before the guest driver is up: they wait in the backlog. A device reset closes every
// connection. One I/O thread per activated device (vsock_worker.hpp).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>

#include "base/event_fd.hpp"
#include "base/fd.hpp"
#include "devices/virtio/device.hpp"
#include "devices/virtio/io_thread.hpp"
#include "devices/virtio/spec.hpp"
#include "devices/virtio/vsock_worker.hpp"

namespace hyper::virtio {

struct VsockOptions {
    uint64_t guest_cid{0}; // 3 .. 0xfffffffe
    std::string uds_path;  // the host-side listening socket
};

// A snapshot of the device's counters.
struct VsockCounters {
    uint64_t dropped_packets{0};   // TX packets refused (short, bad length/CID/op, no such
                                   // connection) and unusable RX/event buffers
    uint64_t resets_sent{0};       // RST packets delivered to the guest
    uint64_t credit_violations{0}; // connections reset for sending beyond credit or lying
    uint64_t connections{0};       // open right now
};

class Vsock final : public VirtioDevice {
  public:
    static constexpr uint16_t k_queue_size = 256;

    // Errors: guest_cid outside 3..0xfffffffe, an empty uds_path or one too long for a
    // Unix socket address (with room for "_<port>") (ExitCode::Usage); uds_path in use
    // by a listening process, not a socket, or not creatable (ExitCode::CantCreate).
    static Result<std::unique_ptr<Vsock>> create(const VsockOptions& options);
    ~Vsock() override;

    const char* name() const override { return "virtio-vsock"; }
    uint32_t device_id() const override { return k_device_id_vsock; }
    uint64_t device_features() const override { return 0; } // streams only
    std::span<const uint16_t> queue_max_sizes() const override { return m_queue_sizes; }
    void read_config(uint64_t offset, std::span<uint8_t> data) const override;
    void write_config(uint64_t, std::span<const uint8_t>) override {} // read-only
    Result<void> activate(ActivateContext context) override;
    void reset() override;

    // Thread-safe. Drops every connection and tells the guest driver with
    // VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (e.g. after a snapshot restore). Only while
    // active; a pending request is forgotten on the next activation.
    void transport_reset() { m_reset_request.signal(); }

    VsockCounters counters() const;
    uint64_t guest_cid() const { return m_options.guest_cid; }
    const std::string& uds_path() const { return m_options.uds_path; }

  private:
    Vsock() = default;

    VsockOptions m_options;
    Fd m_listener;
    std::optional<std::pair<dev_t, ino_t>> m_socket_file; // what to unlink, if still ours
    vsock::Config m_config{};
    std::array<uint16_t, 3> m_queue_sizes{k_queue_size, k_queue_size, k_queue_size};
    EventFd m_reset_request;
    VsockStats m_stats;

    // While active.
    IoThread m_io{ThreadRole::Vsock};
    std::optional<VsockWorkerSetup> m_setup;
};

} // namespace hyper::virtio
