#pragma once
// virtio-9p (virtio 1.2, 5.x "9P transport"; device id 9): a 9P2000.L server over one
// host directory, one request queue, served on the vCPU thread that notifies it (see
// VirtioDevice::serves_on_notify: a 9P request is short and the guest's client waits for
// each, so the answer is ready when the notifying write returns). Each chain's
// device-readable part is one T-message, its device-writable part receives the
// R-message. Configuration space: le16 tag_len, then the mount tag bytes (the guest
// mounts it with `mount -t 9p -o trans=virtio,version=9p2000.L TAG DIR`).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/event_fd.hpp"
#include "devices/virtio/device.hpp"
#include "devices/virtio/p9_server.hpp"

namespace hyper::virtio {

constexpr uint32_t k_device_id_9p = 9;

namespace p9cfg {
constexpr unsigned k_f_mount_tag = 0;
constexpr size_t k_max_tag = 64;
} // namespace p9cfg

struct P9Options {
    std::string path; // the host directory shared
    std::string tag;  // the mount tag: 1..64 bytes, no NUL
    bool read_only{false};
};

class P9Device final : public VirtioDevice {
  public:
    static constexpr uint16_t k_queue_size = 128;

    // Errors: `path` missing, unreadable or not a directory (ExitCode::NoInput, naming
    // it); an empty, too long or NUL-containing tag (ExitCode::Usage).
    static Result<std::unique_ptr<P9Device>> create(const P9Options& options);
    ~P9Device() override;

    const char* name() const override { return "virtio-9p"; }
    uint32_t device_id() const override { return k_device_id_9p; }
    uint64_t device_features() const override { return uint64_t{1} << p9cfg::k_f_mount_tag; }
    std::span<const uint16_t> queue_max_sizes() const override { return m_queue_sizes; }
    void read_config(uint64_t offset, std::span<uint8_t> data) const override;
    void write_config(uint64_t, std::span<const uint8_t>) override {} // read-only
    Result<void> activate(ActivateContext context) override;
    void reset() override;
    bool serves_on_notify() const override { return true; }
    void notify(size_t queue) override;

  private:
    explicit P9Device(p9::Server server) : m_server(std::move(server)) {}
    void serve(const DescriptorChain& chain);
    std::optional<uint64_t> guest_iovecs(const DescriptorChain& chain, bool writable, uint64_t skip,
                                         uint64_t want, std::vector<iovec>& out) const;
    bool read_sink(const DescriptorChain& chain);
    void copy_request(const DescriptorChain& chain, size_t from, size_t to, bool& ok);
    size_t write_source(const DescriptorChain& chain, size_t skip, size_t limit);

    p9::Server m_server;
    std::vector<uint8_t> m_config;
    std::array<uint16_t, 1> m_queue_sizes{k_queue_size};

    // While active (between activate() and reset(); the transport's lock serialises them
    // and notify()).
    std::optional<ActivateContext> m_context;
    bool m_broken{false}; // the guest broke the queue: nothing served until a reset
    std::vector<uint8_t> m_request;
    std::vector<iovec> m_sink;
    std::vector<iovec> m_source; // a Twrite's data in guest memory (write_source)
};

} // namespace hyper::virtio
