#include "devices/virtio/vsock.hpp"

#include <algorithm>
#include <cstring>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include "base/log.hpp"
#include "devices/virtio/vsock_socket.hpp"

namespace hyper::virtio {

namespace {

// "_4294967295": the longest suffix a guest-initiated connection adds to uds_path.
constexpr size_t k_port_suffix_max = 11;

} // namespace

Result<std::unique_ptr<Vsock>> Vsock::create(const VsockOptions& options) {
    if (options.guest_cid < vsock::k_min_guest_cid || options.guest_cid > vsock::k_max_guest_cid)
        return fail(ExitCode::Usage, "vsock guest CID " + std::to_string(options.guest_cid) +
                                         " is outside 3..4294967294");
    const std::string& path = options.uds_path;
    if (path.empty())
        return fail(ExitCode::Usage, "vsock needs a Unix socket path");
    if (!unix_path_fits(path + std::string(k_port_suffix_max, '0')))
        return fail(ExitCode::Usage, "vsock socket path " + path + " is too long (" +
                                         std::to_string(path.size()) + " bytes)");
    std::unique_ptr<Vsock> dev(new Vsock());
    dev->m_options = options;
    dev->m_config.guest_cid = options.guest_cid;
    dev->m_reset_request = TRY(EventFd::create());
    dev->m_listener = TRY(listen_unix(path));
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0)
        dev->m_socket_file = std::make_pair(st.st_dev, st.st_ino);
    LOG_INFO("vsock: guest CID %llu, host socket %s",
             static_cast<unsigned long long>(options.guest_cid), path.c_str());
    return dev;
}

Vsock::~Vsock() {
    reset();
    // Remove the socket file, unless somebody replaced it meanwhile.
    struct stat st {};
    if (m_socket_file && ::stat(m_options.uds_path.c_str(), &st) == 0 &&
        std::make_pair(st.st_dev, st.st_ino) == *m_socket_file)
        ::unlink(m_options.uds_path.c_str());
}

void Vsock::read_config(uint64_t offset, std::span<uint8_t> data) const {
    std::fill(data.begin(), data.end(), 0);
    if (offset >= sizeof m_config)
        return;
    size_t n = std::min<uint64_t>(data.size(), sizeof m_config - offset);
    std::memcpy(data.data(), reinterpret_cast<const uint8_t*>(&m_config) + offset, n);
}

VsockCounters Vsock::counters() const {
    VsockCounters c;
    c.dropped_packets = m_stats.dropped_packets.load(std::memory_order_relaxed);
    c.resets_sent = m_stats.resets_sent.load(std::memory_order_relaxed);
    c.credit_violations = m_stats.credit_violations.load(std::memory_order_relaxed);
    c.connections = m_stats.connections.load(std::memory_order_relaxed);
    return c;
}

Result<void> Vsock::activate(ActivateContext context) {
    reset();
    if (context.queues.size() != 3 || !context.queues[vsock::k_queue_rx]->ready() ||
        !context.queues[vsock::k_queue_tx]->ready())
        return fail(ExitCode::Internal, "the driver did not enable the RX and TX queues");
    TRY(m_io.arm());
    m_reset_request.consume(); // the reset that led here dropped everything already
    Queue* event = context.queues[vsock::k_queue_event];
    m_setup =
        VsockWorkerSetup{&context.memory,
                         {context.queues[0], context.queues[1], event->ready() ? event : nullptr},
                         {context.notify.at(0), context.notify.at(1), context.notify.at(2)},
                         &m_io.stop_event(),
                         &m_reset_request,
                         m_listener.get(),
                         m_options.guest_cid,
                         m_options.uds_path,
                         &m_stats,
                         std::move(context.signal_used),
                         std::move(context.needs_reset)};
    auto started = m_io.start("virtio-vsock", [this] {
        VsockWorker worker(*m_setup);
        worker.run();
    });
    if (!started) {
        m_setup.reset();
        return started;
    }
    return {};
}

void Vsock::reset() {
    m_io.stop();
    m_setup.reset();
}

} // namespace hyper::virtio
