#include "devices/virtio/p9_device.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "base/log.hpp"

namespace hyper::virtio {

Result<std::unique_ptr<P9Device>> P9Device::create(const P9Options& options) {
    const std::string& tag = options.tag;
    if (tag.empty() || tag.size() > p9cfg::k_max_tag || tag.find('\0') != std::string::npos)
        return fail(ExitCode::Usage,
                    "share " + options.path + ": the mount tag must be 1 to 64 bytes");
    auto server = p9::Server::open(options.path, options.read_only);
    if (!server)
        return tl::unexpected(std::move(server).error());
    std::unique_ptr<P9Device> dev(new P9Device(std::move(*server)));
    std::vector<uint8_t> config(2 + tag.size());
    config[0] = static_cast<uint8_t>(tag.size()); // le16 tag_len (<= 64)
    std::memcpy(config.data() + 2, tag.data(), tag.size());
    dev->m_config = std::move(config);
    LOG_INFO("share %s as \"%s\"%s", options.path.c_str(), tag.c_str(),
             options.read_only ? ", read-only" : "");
    return dev;
}

P9Device::~P9Device() {
    reset();
}

void P9Device::read_config(uint64_t offset, std::span<uint8_t> data) const {
    std::fill(data.begin(), data.end(), 0);
    if (offset >= m_config.size())
        return;
    size_t n = std::min<uint64_t>(data.size(), m_config.size() - offset);
    std::memcpy(data.data(), m_config.data() + offset, n);
}

Result<void> P9Device::activate(ActivateContext context) {
    reset();
    if (context.queues.size() != 1 || !context.queues[0]->ready())
        return fail(ExitCode::Internal, "the driver did not enable the request queue");
    m_server.reset(); // a new driver: a new 9P session
    m_context.emplace(std::move(context));
    return {};
}

void P9Device::reset() {
    m_context.reset();
    m_broken = false;
}

// Serves every request the queue holds, then re-enables notifications (EVENT_IDX: asks
// for the next kick) and looks once more, so a request added meanwhile is not missed.
void P9Device::notify(size_t) {
    if (!m_context || m_broken)
        return;
    const ActivateContext& ctx = *m_context;
    const GuestMemory& mem = ctx.memory;
    Queue& queue = *ctx.queues[0];
    bool added = false;
    for (;;) {
        auto chain = queue.pop(mem);
        if (chain)
            serve(*chain);
        if (queue.broken()) {
            LOG_WARN("virtio-9p: the guest broke the virtqueue; device needs a reset");
            m_broken = true;
            ctx.needs_reset();
            return;
        }
        if (chain)
            added = true;
        else if (!queue.enable_notification(mem))
            break;
    }
    if (added && queue.should_notify(mem))
        ctx.signal_used();
}

// Host iovecs in `out` for `want` bytes (or fewer: as many as k_max_sink_iov buffers
// hold) of the chain's device-writable (or readable) buffers, from byte `skip` of that
// part. The bytes covered, or nullopt when one of those buffers is not plain guest RAM.
std::optional<uint64_t> P9Device::guest_iovecs(const DescriptorChain& chain, bool writable,
                                               uint64_t skip, uint64_t want,
                                               std::vector<iovec>& out) const {
    const GuestMemory& mem = m_context->memory;
    out.clear();
    uint64_t bytes = 0;
    for (const Descriptor& d : chain.descriptors) {
        if (d.writable != writable)
            continue;
        if (bytes == want || out.size() == static_cast<size_t>(p9::k_max_sink_iov))
            break;
        if (d.len <= skip) {
            skip -= d.len;
            continue;
        }
        uint64_t len = std::min<uint64_t>(d.len - skip, want - bytes);
        auto span = mem.host_span(d.addr.unchecked_add(skip), len);
        if (!span)
            return std::nullopt;
        out.push_back({span->data(), span->size()});
        bytes += len;
        skip = 0;
    }
    return bytes;
}

// The writable buffers of a Tread's chain after the Rread header, as host iovecs in
// m_sink, so the file data is read straight into guest memory. false: some buffer is not
// plain guest RAM (then the data goes through the reply).
bool P9Device::read_sink(const DescriptorChain& chain) {
    auto bytes = guest_iovecs(chain, true, p9::k_rread_header_size, UINT64_MAX, m_sink);
    return bytes && !m_sink.empty();
}

// The readable part of a Twrite's chain past its `skip`-byte header, up to `limit` bytes,
// as host iovecs in m_source, so the data is written to the file straight from guest
// memory. Its byte count, or 0 when some buffer is not plain guest RAM or there are too
// many (then the data is copied like any message).
size_t P9Device::write_source(const DescriptorChain& chain, size_t skip, size_t limit) {
    auto bytes = guest_iovecs(chain, false, skip, limit - skip, m_source);
    return bytes && *bytes == limit - skip ? static_cast<size_t>(*bytes) : 0;
}

// Copies the chain's readable bytes [from, to) into m_request[from, to); ok turns false
// when some buffer is not guest memory.
void P9Device::copy_request(const DescriptorChain& chain, size_t from, size_t to, bool& ok) {
    const GuestMemory& mem = m_context->memory;
    size_t at = 0;
    for (const Descriptor& d : chain.descriptors) {
        if (d.writable || at >= to)
            break;
        size_t start = std::max(at, from), end = std::min<size_t>(at + d.len, to);
        if (start < end)
            ok = ok && mem.read(d.addr.unchecked_add(start - at),
                                std::span(m_request.data() + start, end - start));
        at += d.len;
    }
}

// One request: copy the T-message out once (at most msize bytes; a Twrite's data stays
// in guest memory), answer it, copy the reply into the writable buffers. A reply that
// does not fit is never truncated.
void P9Device::serve(const DescriptorChain& chain) {
    const GuestMemory& mem = m_context->memory;
    Queue& queue = *m_context->queues[0];
    uint32_t used = 0;
    if (chain.ok()) {
        uint64_t readable = chain.readable_bytes();
        uint64_t writable = chain.writable_bytes();
        uint32_t limit = m_server.msize() ? m_server.msize() : p9::k_max_msize;
        size_t total = std::min<uint64_t>(readable, limit);
        m_request.resize(total);
        bool ok = true;
        size_t head = std::min<size_t>(total, p9::k_twrite_header_size);
        copy_request(chain, 0, head, ok);
        size_t source = 0;
        if (ok && total > head && m_request[4] == p9::k_twrite)
            source = write_source(chain, head, total);
        if (source > 0) {
            m_request.resize(head);
            m_server.set_write_source(m_source, source);
        } else {
            copy_request(chain, head, total, ok);
        }
        std::vector<uint8_t> reply;
        size_t direct = 0;
        if (!ok) {
            m_server.set_write_source({}, 0);
            reply = p9::make_error(p9::k_no_tag, EFAULT);
        } else {
            if (m_request.size() > 4 && m_request[4] == p9::k_tread && read_sink(chain))
                m_server.set_read_sink(m_sink);
            reply = m_server.handle(
                m_request, static_cast<uint32_t>(std::min<uint64_t>(writable, p9::k_max_msize)));
            direct = m_server.read_direct_bytes(); // already in the buffers after the header
        }
        if (reply.size() + direct <= writable) {
            size_t done = 0;
            for (const Descriptor& d : chain.descriptors) {
                if (!d.writable || done == reply.size())
                    continue;
                size_t n = std::min<size_t>(d.len, reply.size() - done);
                if (!mem.write(d.addr, std::span(reply.data() + done, n)))
                    break;
                done += n;
            }
            used = static_cast<uint32_t>(done + (done == reply.size() ? direct : 0));
        }
    }
    (void)queue.add_used(mem, chain.head, used);
}

} // namespace hyper::virtio
