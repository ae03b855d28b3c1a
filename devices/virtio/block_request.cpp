#include "devices/virtio/block_request.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "devices/virtio/spec.hpp"

namespace hyper::virtio {

namespace {

constexpr size_t k_max_iovecs = 1024; // IOV_MAX on Linux

struct Segment {
    GuestAddress addr;
    uint64_t len;
};
using Segments = std::vector<Segment>;

uint64_t total(const Segments& segs) {
    uint64_t sum = 0;
    for (const auto& s : segs)
        sum += s.len; // each len fits in 32 bits and there are at most 2^16 of them
    return sum;
}

// The segments that remain after the first `skip` bytes.
Segments drop_front(const Segments& segs, uint64_t skip) {
    Segments rest;
    for (const auto& s : segs) {
        if (skip >= s.len) {
            skip -= s.len;
            continue;
        }
        rest.push_back({s.addr.unchecked_add(skip), s.len - skip});
        skip = 0;
    }
    return rest;
}

// Copies the first out.size() bytes of `segs`; false when they hold fewer bytes.
bool gather(const GuestMemory& mem, const Segments& segs, std::span<uint8_t> out) {
    size_t done = 0;
    for (const auto& s : segs) {
        if (done == out.size())
            break;
        size_t n = static_cast<size_t>(std::min<uint64_t>(s.len, out.size() - done));
        if (!mem.read(s.addr, out.subspan(done, n)))
            return false;
        done += n;
    }
    return done == out.size();
}

// Copies `in` into the start of `segs` (which must hold at least in.size() bytes).
bool scatter(const GuestMemory& mem, const Segments& segs, std::span<const uint8_t> in) {
    size_t done = 0;
    for (const auto& s : segs) {
        if (done == in.size())
            break;
        size_t n = static_cast<size_t>(std::min<uint64_t>(s.len, in.size() - done));
        if (!mem.write(s.addr, in.subspan(done, n)))
            return false;
        done += n;
    }
    return done == in.size();
}

bool to_iovecs(const GuestMemory& mem, const Segments& segs, std::vector<iovec>& out) {
    if (segs.size() > k_max_iovecs)
        return false;
    out.reserve(segs.size());
    for (const auto& s : segs) {
        auto span = mem.host_span(s.addr, s.len);
        if (!span)
            return false;
        out.push_back({span->data(), span->size()});
    }
    return true;
}

// [sector, sector + count) inside [0, capacity), without overflowing.
bool in_range(uint64_t sector, uint64_t count, uint64_t capacity) {
    return sector <= capacity && count <= capacity - sector;
}

template <typename T> std::span<uint8_t> bytes_of(T& value) {
    return std::span(reinterpret_cast<uint8_t*>(&value), sizeof(T));
}

BlockRequest& complete(BlockRequest& req, uint8_t status) {
    req.op = BlockOp::Complete;
    req.status = status;
    req.iov.clear();
    return req;
}

// DISCARD and WRITE_ZEROES carry one 16-byte segment (we offer max_*_seg = 1).
BlockRequest& prepare_range(BlockRequest& req, uint32_t type, const Segments& data_out,
                            uint64_t data_in, const GuestMemory& mem, const DiskInfo& disk) {
    bool discard = type == blk::k_t_discard;
    if (discard ? !disk.discard : !disk.write_zeroes)
        return complete(req, blk::k_s_unsupp);
    uint64_t out_len = total(data_out);
    if (disk.read_only || data_in != 0 || out_len == 0 || out_len % sizeof(blk::DiscardSegment))
        return complete(req, blk::k_s_ioerr);
    if (out_len / sizeof(blk::DiscardSegment) > 1)
        return complete(req, blk::k_s_unsupp);
    blk::DiscardSegment seg;
    if (!gather(mem, data_out, bytes_of(seg)))
        return complete(req, blk::k_s_ioerr);
    if ((seg.flags & ~blk::k_write_zeroes_flag_unmap) ||
        (discard && (seg.flags & blk::k_write_zeroes_flag_unmap)))
        return complete(req, blk::k_s_unsupp);
    uint32_t max = discard ? disk.max_discard_sectors : disk.max_write_zeroes_sectors;
    if (seg.num_sectors > max || !in_range(seg.sector, seg.num_sectors, disk.capacity))
        return complete(req, blk::k_s_ioerr);
    if (seg.num_sectors == 0)
        return complete(req, blk::k_s_ok);
    bool unmap = discard || ((seg.flags & blk::k_write_zeroes_flag_unmap) && disk.may_unmap);
    req.op = unmap ? BlockOp::Discard : BlockOp::WriteZeroes;
    req.offset = seg.sector * blk::k_sector_size;
    req.length = uint64_t{seg.num_sectors} * blk::k_sector_size;
    return req;
}

} // namespace

BlockRequest prepare_request(const DescriptorChain& chain, const GuestMemory& mem,
                             const DiskInfo& disk) {
    BlockRequest req;
    req.head = chain.head;
    if (!chain.ok())
        return req; // nothing in it can be trusted, not even where the status goes
    Segments readable, writable;
    for (const auto& d : chain.descriptors)
        (d.writable ? writable : readable).push_back({d.addr, d.len});
    uint64_t in_total = total(writable);
    if (in_total == 0)
        return req;
    // The status is the very last device-writable byte.
    Segment& last = writable.back();
    req.status_addr = last.addr.unchecked_add(last.len - 1);
    req.has_status = true;
    if (--last.len == 0)
        writable.pop_back();
    uint64_t data_in = in_total - 1;

    blk::RequestHeader header;
    if (!gather(mem, readable, bytes_of(header)))
        return complete(req, blk::k_s_ioerr);
    Segments data_out = drop_front(readable, sizeof header);
    uint64_t out_len = total(data_out);

    switch (header.type) {
    case blk::k_t_in:
    case blk::k_t_out: {
        bool read = header.type == blk::k_t_in;
        uint64_t len = read ? data_in : out_len;
        if ((read ? out_len : data_in) != 0 || len % blk::k_sector_size != 0)
            return complete(req, blk::k_s_ioerr); // data in the wrong direction
        if (!read && disk.read_only)
            return complete(req, blk::k_s_ioerr);
        if (!in_range(header.sector, len / blk::k_sector_size, disk.capacity))
            return complete(req, blk::k_s_ioerr);
        if (len == 0)
            return complete(req, blk::k_s_ok);
        if (!to_iovecs(mem, read ? writable : data_out, req.iov))
            return complete(req, blk::k_s_ioerr);
        req.op = read ? BlockOp::Read : BlockOp::Write;
        req.offset = header.sector * blk::k_sector_size;
        req.length = len;
        req.data_written = read ? static_cast<uint32_t>(len) : 0;
        return req;
    }
    case blk::k_t_flush: req.op = BlockOp::Flush; return req;
    case blk::k_t_get_id: {
        if (out_len != 0)
            return complete(req, blk::k_s_ioerr);
        std::array<uint8_t, blk::k_id_bytes> id{}; // zero-padded, no NUL when 20 bytes
        std::memcpy(id.data(), disk.serial.data(), std::min(disk.serial.size(), id.size()));
        size_t n = static_cast<size_t>(std::min<uint64_t>(data_in, id.size()));
        if (!scatter(mem, writable, std::span(id.data(), n)))
            return complete(req, blk::k_s_ioerr);
        req.data_written = static_cast<uint32_t>(n);
        return complete(req, blk::k_s_ok);
    }
    case blk::k_t_discard:
    case blk::k_t_write_zeroes:
        return prepare_range(req, header.type, data_out, data_in, mem, disk);
    default: return complete(req, blk::k_s_unsupp);
    }
}

uint32_t finish_request(const BlockRequest& request, const GuestMemory& mem, uint8_t status) {
    if (!request.has_status || !mem.write_obj<uint8_t>(request.status_addr, status))
        return 0;
    return (status == blk::k_s_ok ? request.data_written : 0) + 1;
}

} // namespace hyper::virtio
