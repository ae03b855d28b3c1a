#include "devices/virtio/block.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

#include "base/log.hpp"

namespace hyper::virtio {

namespace {

std::string disk_name(const std::string& path) {
    return "disk " + path;
}

// An OFD lock covers the whole file and belongs to this open file description: it
// conflicts with other processes and with a second open() in this one.
Result<void> lock_image(int fd, const std::string& path, bool read_only) {
    struct flock lock {};
    lock.l_type = read_only ? F_RDLCK : F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0;
    if (::fcntl(fd, F_OFD_SETLK, &lock) == 0)
        return {};
    if (errno == EAGAIN || errno == EACCES)
        return fail(ExitCode::NoInput, disk_name(path) + " is in use by another process");
    // File systems without locks (some network ones): go on, but say so.
    LOG_WARN("%s: cannot take a lock (%s); nothing stops a second user", disk_name(path).c_str(),
             std::strerror(errno));
    return {};
}

struct FallocateSupport {
    bool zero_range{false};
    bool punch_hole{false};
};

FallocateSupport try_fallocate(int fd, off_t offset) {
    FallocateSupport s;
    s.zero_range = ::fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, 4096) == 0;
    s.punch_hole = ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, 4096) == 0;
    return s;
}

// What fallocate modes the image's file system supports, without changing the image: on
// an unnamed temporary file in the same directory, or else past the image's end (with
// KEEP_SIZE), dropping whatever zero-range preallocated there by truncating to the size.
FallocateSupport probe_fallocate(int fd, const std::string& path, off_t size) {
    std::string dir = std::filesystem::path(path).parent_path().string();
    Fd tmp(::open(dir.empty() ? "." : dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (tmp.valid())
        return try_fallocate(tmp.get(), 0);
    FallocateSupport s = try_fallocate(fd, size);
    if (s.zero_range && ::ftruncate(fd, size) < 0)
        LOG_WARN("%s: ftruncate: %s", disk_name(path).c_str(), std::strerror(errno));
    return s;
}

// The file offset alignment O_DIRECT needs, when the kernel reports it (statx DIOALIGN).
uint32_t direct_io_alignment(int fd) {
#ifdef STATX_DIOALIGN
    struct statx stx {};
    if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
        (stx.stx_mask & STATX_DIOALIGN))
        return stx.stx_dio_offset_align;
#else
    (void)fd;
#endif
    return 0;
}

} // namespace

Result<std::unique_ptr<Block>> Block::open(const BlockOptions& options) {
    const std::string& path = options.path;
    if (options.serial.size() > blk::k_id_bytes)
        return fail(ExitCode::Usage, disk_name(path) + ": serial longer than 20 bytes");
    std::unique_ptr<Block> dev(new Block());
    dev->m_options = options;
    int flags = (options.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    if (options.direct)
        flags |= O_DIRECT;
    dev->m_file = Fd(::open(path.c_str(), flags));
    if (!dev->m_file.valid()) {
        if (options.direct && errno == EINVAL)
            return fail(ExitCode::NoInput,
                        disk_name(path) + ": its file system does not support direct I/O");
        return fail_errno(disk_name(path), errno, ExitCode::NoInput);
    }
    int fd = dev->m_file.get();
    struct stat st {};
    if (::fstat(fd, &st) < 0)
        return fail_errno(disk_name(path), errno, ExitCode::NoInput);
    bool regular = S_ISREG(st.st_mode);
    if (!regular && !S_ISBLK(st.st_mode))
        return fail(ExitCode::NoInput, disk_name(path) + " is not a file or a block device");
    TRY(lock_image(fd, path, options.read_only));
    off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < 0)
        return fail_errno(disk_name(path), errno, ExitCode::NoInput);
    if (static_cast<uint64_t>(size) % blk::k_sector_size != 0)
        return fail(ExitCode::BadImage, disk_name(path) + ": its size (" + std::to_string(size) +
                                            " bytes) is not a multiple of 512");

    if (!options.read_only && regular) {
        auto support = probe_fallocate(fd, path, size);
        dev->m_zero_range = support.zero_range;
        dev->m_punch_hole = support.punch_hole;
    }

    uint32_t blk_size = blk::k_sector_size;
    if (uint32_t align = options.direct ? direct_io_alignment(fd) : 0;
        align > blk_size && align <= 4096 && (align & (align - 1)) == 0)
        blk_size = align; // the guest then only issues I/O O_DIRECT accepts

    blk::Config& c = dev->m_config;
    c.capacity = static_cast<uint64_t>(size) / blk::k_sector_size;
    c.seg_max = k_seg_max;
    c.blk_size = blk_size;
    c.num_queues = 1;
    uint64_t f = feature_bit(blk::k_f_seg_max) | feature_bit(blk::k_f_blk_size) |
                 feature_bit(blk::k_f_flush);
    if (options.read_only)
        f |= feature_bit(blk::k_f_ro);
    uint32_t granularity =
        std::clamp<uint32_t>(static_cast<uint32_t>(st.st_blksize), blk_size, 1u << 20);
    if (dev->m_punch_hole) {
        f |= feature_bit(blk::k_f_discard);
        c.max_discard_sectors = k_max_discard_sectors;
        c.max_discard_seg = 1;
        c.discard_sector_alignment = granularity / blk::k_sector_size;
    }
    if (dev->m_zero_range) {
        f |= feature_bit(blk::k_f_write_zeroes);
        c.max_write_zeroes_sectors = k_max_discard_sectors;
        c.max_write_zeroes_seg = 1;
        c.write_zeroes_may_unmap = dev->m_punch_hole ? 1 : 0;
    }
    dev->m_features = f;
    LOG_INFO("%s: %llu sectors%s%s", disk_name(path).c_str(),
             static_cast<unsigned long long>(c.capacity), options.read_only ? ", read-only" : "",
             options.direct ? ", direct I/O" : "");
    return dev;
}

Block::~Block() {
    reset();
}

void Block::read_config(uint64_t offset, std::span<uint8_t> data) const {
    std::fill(data.begin(), data.end(), 0);
    if (offset >= sizeof m_config)
        return;
    size_t n = std::min<uint64_t>(data.size(), sizeof m_config - offset);
    std::memcpy(data.data(), reinterpret_cast<const uint8_t*>(&m_config) + offset, n);
}

Result<void> Block::activate(ActivateContext context) {
    reset();
    if (context.queues.size() != 1 || !context.queues[0]->ready())
        return fail(ExitCode::Internal, "the driver did not enable the request queue");
    Queue* queue = context.queues[0];
    TRY(m_io.arm());
    if (m_options.use_io_uring) {
        auto ring = IoUring::create(queue->size());
        if (ring) {
            m_ring_event = TRY(EventFd::create());
            if (auto r = ring->register_eventfd(m_ring_event.fd()); r)
                m_ring = std::move(*ring);
            else
                ring = tl::unexpected(std::move(r).error());
        }
        if (!ring) {
            static std::once_flag logged;
            std::call_once(logged, [&] {
                LOG_WARN("io_uring is unavailable (%s): virtio-blk uses synchronous I/O",
                         ring.error().to_string().c_str());
            });
        }
    }
    uint64_t f = context.features;
    DiskInfo disk;
    disk.capacity = m_config.capacity;
    disk.read_only = m_options.read_only;
    disk.discard = m_punch_hole && (f & feature_bit(blk::k_f_discard));
    disk.write_zeroes = m_zero_range && (f & feature_bit(blk::k_f_write_zeroes));
    disk.may_unmap = m_punch_hole;
    disk.max_discard_sectors = m_config.max_discard_sectors;
    disk.max_write_zeroes_sectors = m_config.max_write_zeroes_sectors;
    disk.serial = m_options.serial;
    m_setup = BlockWorkerSetup{&context.memory,
                               queue,
                               context.notify.at(0),
                               &m_io.stop_event(),
                               m_file.get(),
                               std::move(disk),
                               m_ring.valid() ? &m_ring : nullptr,
                               m_ring.valid() ? &m_ring_event : nullptr,
                               std::move(context.signal_used),
                               std::move(context.needs_reset)};
    if (auto started = m_io.start("virtio-blk", [this] { run_block_worker(*m_setup); }); !started) {
        m_setup.reset();
        m_ring = IoUring{};
        return started;
    }
    return {};
}

void Block::reset() {
    m_io.stop();
    m_setup.reset();
    m_ring = IoUring{};
}

} // namespace hyper::virtio
