// Tsetattr: mode, owner, size and times of what a fid names, without following symlinks.
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio/p9_fs.hpp"
#include "devices/virtio/p9_server.hpp"

namespace hyper::p9 {

namespace {

constexpr uint32_t k_attr_mode = 0x1;
constexpr uint32_t k_attr_uid = 0x2;
constexpr uint32_t k_attr_gid = 0x4;
constexpr uint32_t k_attr_size = 0x8;
constexpr uint32_t k_attr_atime = 0x10;
constexpr uint32_t k_attr_mtime = 0x20;
constexpr uint32_t k_attr_atime_set = 0x80;
constexpr uint32_t k_attr_mtime_set = 0x100;

timespec time_arg(uint32_t valid, uint32_t change, uint32_t set, uint64_t sec, uint64_t nsec) {
    if (!(valid & change))
        return {0, UTIME_OMIT};
    if (!(valid & set))
        return {0, UTIME_NOW};
    return {static_cast<time_t>(sec), static_cast<long>(nsec % 1000000000)};
}

} // namespace

int Server::setattr(Reader& r, Writer&) {
    uint32_t fid = r.u32();
    uint32_t valid = r.u32();
    uint32_t mode = r.u32();
    uint32_t uid = r.u32();
    uint32_t gid = r.u32();
    uint64_t size = r.u64();
    uint64_t atime_sec = r.u64();
    uint64_t atime_nsec = r.u64();
    uint64_t mtime_sec = r.u64();
    uint64_t mtime_nsec = r.u64();
    Fid* f;
    if (int e = request_fid(r, fid, f); e != 0)
        return e;
    if (m_read_only)
        return EROFS;
    int fd = f->path.get();
    struct stat st {};
    if (int e = stat_fd(fd, st); e < 0)
        return -e;
    bool linkish = !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
    if (valid & k_attr_mode) {
        if (linkish)
            return S_ISLNK(st.st_mode) ? EOPNOTSUPP : EPERM;
        // Through our own fd's proc link: the inode we hold, no lookup in the share.
        if (::chmod(proc_path(fd).c_str(), mode & 01777) < 0)
            return errno;
    }
    if (valid & (k_attr_uid | k_attr_gid)) {
        uid_t u = (valid & k_attr_uid) ? uid : static_cast<uid_t>(-1);
        gid_t g = (valid & k_attr_gid) ? gid : static_cast<gid_t>(-1);
        if (::fchownat(fd, "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
            return errno;
    }
    if (valid & k_attr_size) {
        if (!S_ISREG(st.st_mode))
            return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        if (size > static_cast<uint64_t>(INT64_MAX))
            return EFBIG;
        int rc = f->io.valid() && (::fcntl(f->io.get(), F_GETFL) & O_ACCMODE) != O_RDONLY
                     ? ::ftruncate(f->io.get(), static_cast<off_t>(size))
                     : ::truncate(proc_path(fd).c_str(), static_cast<off_t>(size));
        if (rc < 0)
            return errno;
    }
    if (valid & (k_attr_atime | k_attr_mtime)) {
        timespec ts[2] = {time_arg(valid, k_attr_atime, k_attr_atime_set, atime_sec, atime_nsec),
                          time_arg(valid, k_attr_mtime, k_attr_mtime_set, mtime_sec, mtime_nsec)};
        if (::utimensat(fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
            return errno;
    }
    return 0;
}

} // namespace hyper::p9
