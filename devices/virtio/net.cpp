#include "devices/virtio/net.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "base/log.hpp"
#include "devices/virtio/tap.hpp"

namespace hyper::virtio {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

MacAddress mac_from_seed(std::string_view seed) {
    uint64_t h = 0xcbf29ce484222325ull; // FNV-1a, 64-bit
    for (char c : seed) {
        h ^= static_cast<uint8_t>(c);
        h *= 0x100000001b3ull;
    }
    MacAddress mac{0x02};
    for (size_t i = 1; i < mac.size(); i++)
        mac[i] = static_cast<uint8_t>(h >> (8 * (i - 1)));
    return mac;
}

std::optional<MacAddress> parse_mac(std::string_view text) {
    MacAddress mac{};
    if (text.size() != 17)
        return std::nullopt;
    for (size_t i = 0; i < mac.size(); i++) {
        int hi = hex_digit(text[3 * i]);
        int lo = hex_digit(text[3 * i + 1]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        if (i + 1 < mac.size() && text[3 * i + 2] != ':' && text[3 * i + 2] != '-')
            return std::nullopt;
        mac[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return mac;
}

std::string format_mac(const MacAddress& mac) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                  mac[4], mac[5]);
    return buf;
}

Result<std::unique_ptr<Net>> Net::open(const NetOptions& options) {
    MacAddress mac = options.mac_set ? options.mac : mac_from_seed(options.tap);
    if (mac[0] & 1)
        return fail(ExitCode::Usage, "MAC " + format_mac(mac) + " is a multicast address");
    if (mac == MacAddress{})
        return fail(ExitCode::Usage, "MAC 00:00:00:00:00:00 is not a usable address");
    Tap tap = TRY(Tap::open(options.tap));
    bool created = tap.created();
    LOG_DEBUG("tap %s: %s, guest MAC %s", tap.name().c_str(),
              created ? "created (set its address or bridge it)" : "attached",
              format_mac(mac).c_str());
    auto dev = create(std::make_unique<Tap>(std::move(tap)), mac);
    dev->m_created_tap = created;
    return dev;
}

std::unique_ptr<Net> Net::create(std::unique_ptr<PacketEndpoint> endpoint, const MacAddress& mac) {
    std::unique_ptr<Net> dev(new Net());
    dev->m_endpoint = std::move(endpoint);
    std::copy(mac.begin(), mac.end(), dev->m_config.mac);
    dev->m_config.status = net::k_s_link_up;
    dev->m_config.max_virtqueue_pairs = 1;
    return dev;
}

Net::~Net() {
    reset();
}

MacAddress Net::mac() const {
    MacAddress mac;
    std::copy(std::begin(m_config.mac), std::end(m_config.mac), mac.begin());
    return mac;
}

void Net::read_config(uint64_t offset, std::span<uint8_t> data) const {
    std::fill(data.begin(), data.end(), 0);
    if (offset >= sizeof m_config)
        return;
    size_t n = std::min<uint64_t>(data.size(), sizeof m_config - offset);
    std::memcpy(data.data(), reinterpret_cast<const uint8_t*>(&m_config) + offset, n);
}

NetCounters Net::counters() const {
    auto get = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
    return {get(m_stats.rx_frames),     get(m_stats.rx_bytes),      get(m_stats.rx_dropped),
            get(m_stats.rx_bad_chains), get(m_stats.tx_frames),     get(m_stats.tx_bytes),
            get(m_stats.tx_dropped),    get(m_stats.tx_bad_chains), get(m_stats.rx_waits),
            get(m_stats.tx_waits),      get(m_stats.interrupts)};
}

std::string Net::stats_json() const {
    NetCounters c = counters();
    char line[512];
    std::snprintf(line, sizeof line,
                  "\"rx_frames\":%llu,\"rx_bytes\":%llu,\"rx_dropped\":%llu,\"rx_bad_chains\":%llu,"
                  "\"tx_frames\":%llu,\"tx_bytes\":%llu,\"tx_dropped\":%llu,\"tx_bad_chains\":%llu,"
                  "\"rx_waits\":%llu,\"tx_waits\":%llu,\"interrupts\":%llu",
                  (unsigned long long)c.rx_frames, (unsigned long long)c.rx_bytes,
                  (unsigned long long)c.rx_dropped, (unsigned long long)c.rx_bad_chains,
                  (unsigned long long)c.tx_frames, (unsigned long long)c.tx_bytes,
                  (unsigned long long)c.tx_dropped, (unsigned long long)c.tx_bad_chains,
                  (unsigned long long)c.rx_waits, (unsigned long long)c.tx_waits,
                  (unsigned long long)c.interrupts);
    return line;
}

unsigned Net::offload_for(uint64_t features) {
    auto has = [&](unsigned bit) { return (features & feature_bit(bit)) != 0; };
    if (!has(net::k_f_guest_csum))
        return 0; // TSO needs checksum offload (the spec and the TAP agree)
    unsigned flags = k_offload_csum;
    if (has(net::k_f_guest_tso4))
        flags |= k_offload_tso4;
    if (has(net::k_f_guest_tso6))
        flags |= k_offload_tso6;
    if (has(net::k_f_guest_ecn) && (flags & (k_offload_tso4 | k_offload_tso6)))
        flags |= k_offload_tso_ecn;
    return flags;
}

Result<void> Net::activate(ActivateContext context) {
    reset();
    if (context.queues.size() != 2 || !context.queues[k_rx_queue]->ready() ||
        !context.queues[k_tx_queue]->ready())
        return fail(ExitCode::Internal, "the driver did not enable both queues");
    uint64_t f = context.features;
    unsigned offload = offload_for(f);
    TRY(m_endpoint->set_offload(offload));
    m_offload = offload;
    TRY(m_io.arm());
    NetWorkerSetup setup{&context.memory,
                         context.queues[k_rx_queue],
                         context.queues[k_tx_queue],
                         context.notify.at(k_rx_queue),
                         context.notify.at(k_tx_queue),
                         &m_io.stop_event(),
                         m_endpoint.get(),
                         (f & feature_bit(net::k_f_mrg_rxbuf)) != 0,
                         (f & feature_bit(net::k_f_guest_csum)) != 0,
                         &m_stats,
                         std::move(context.signal_used),
                         std::move(context.needs_reset)};
    m_worker = TRY(NetWorker::create(std::move(setup)));
    if (auto started = m_io.start("virtio-net", [this] { m_worker->run(); }); !started) {
        m_worker.reset();
        return started;
    }
    return {};
}

void Net::reset() {
    m_io.stop();
    m_worker.reset(); // a packet waiting in its bounce buffer goes with it
}

} // namespace hyper::virtio
