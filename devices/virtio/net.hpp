#pragma once
// virtio-net (virtio 1.2, 5.1) over a TAP device: one receive queue (0) and one transmit
// queue (1), no control queue, no multiqueue. The MAC address and the link status
// (always up) are in the configuration space. Checksum and TCP segmentation offloads
// pass through the TAP in both directions (its virtio-net header is the guest's), so a
// 64 KiB TCP segment crosses the VMM as one packet. The data path is one I/O thread per
// device (net_worker.hpp).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/event_fd.hpp"
#include "devices/virtio/device.hpp"
#include "devices/virtio/io_thread.hpp"
#include "devices/virtio/net_endpoint.hpp"
#include "devices/virtio/net_spec.hpp"
#include "devices/virtio/net_worker.hpp"

namespace hyper::virtio {

using MacAddress = std::array<uint8_t, 6>;

struct NetOptions {
    std::string tap; // the TAP interface, created when missing (see Tap::open)
    MacAddress mac{};
    bool mac_set{false}; // false: mac_from_seed(tap)
};

// A stable, locally administered, unicast MAC: 02 followed by five bytes of a hash of
// `seed`, so the same seed (the TAP name) gives the guest the same address every run.
MacAddress mac_from_seed(std::string_view seed);
// "52:54:00:12:34:56" (hex digits, either case, ':' or '-' between bytes).
std::optional<MacAddress> parse_mac(std::string_view text);
std::string format_mac(const MacAddress& mac);

// A snapshot of the device's counters (they survive resets).
struct NetCounters {
    uint64_t rx_frames, rx_bytes, rx_dropped, rx_bad_chains;
    uint64_t tx_frames, tx_bytes, tx_dropped, tx_bad_chains;
    uint64_t rx_waits, tx_waits, interrupts;
};

class Net final : public VirtioDevice {
  public:
    static constexpr uint16_t k_queue_size = 256;
    static constexpr size_t k_rx_queue = 0;
    static constexpr size_t k_tx_queue = 1;

    // Opens (or creates) the TAP. Errors: those of Tap::open; a multicast or all-zero MAC
    // (ExitCode::Usage).
    static Result<std::unique_ptr<Net>> open(const NetOptions& options);
    // Over any endpoint (tests use a socket pair). `mac` must be a unicast address.
    static std::unique_ptr<Net> create(std::unique_ptr<PacketEndpoint> endpoint,
                                       const MacAddress& mac);
    ~Net() override;

    const char* name() const override { return "virtio-net"; }
    uint32_t device_id() const override { return net::k_device_id; }
    uint64_t device_features() const override { return k_features; }
    std::span<const uint16_t> queue_max_sizes() const override { return m_queue_sizes; }
    void read_config(uint64_t offset, std::span<uint8_t> data) const override;
    void write_config(uint64_t, std::span<const uint8_t>) override {} // all read-only
    Result<void> activate(ActivateContext context) override;
    void reset() override;

    MacAddress mac() const;
    const PacketEndpoint& endpoint() const { return *m_endpoint; }
    // Whether open() created the TAP (it disappears when the device is destroyed).
    bool created_tap() const { return m_created_tap; }
    NetCounters counters() const;
    std::string stats_json() const override;
    // The k_offload_* flags given to the endpoint at the last activation.
    unsigned offload() const { return m_offload; }
    // The TUNSETOFFLOAD flags for a negotiated feature set.
    static unsigned offload_for(uint64_t features);

  private:
    static constexpr uint64_t k_features =
        feature_bit(net::k_f_csum) | feature_bit(net::k_f_guest_csum) | feature_bit(net::k_f_mac) |
        feature_bit(net::k_f_guest_tso4) | feature_bit(net::k_f_guest_tso6) |
        feature_bit(net::k_f_guest_ecn) | feature_bit(net::k_f_host_tso4) |
        feature_bit(net::k_f_host_tso6) | feature_bit(net::k_f_host_ecn) |
        feature_bit(net::k_f_mrg_rxbuf) | feature_bit(net::k_f_status);

    Net() = default;

    std::unique_ptr<PacketEndpoint> m_endpoint;
    bool m_created_tap{false};
    net::Config m_config{};
    std::array<uint16_t, 2> m_queue_sizes{k_queue_size, k_queue_size};
    NetStats m_stats;
    unsigned m_offload{0};

    // While active.
    IoThread m_io{ThreadRole::Net};
    std::unique_ptr<NetWorker> m_worker;
};

} // namespace hyper::virtio
