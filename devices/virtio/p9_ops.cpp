// The 9P2000.L file operations of Server (open, I/O, directories, links, attributes).
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/virtio/p9_fs.hpp"
#include "devices/virtio/p9_server.hpp"

namespace hyper::p9 {

namespace {

constexpr mode_t k_mode_mask = 01777; // never set-uid / set-gid on the host
constexpr uint32_t k_iounit = 0;      // 0: the client uses msize - P9_IOHDRSZ

bool writes(int flags) {
    return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

// preadv (or pwritev when `write`) of the first `bytes` bytes of guest buffers `iovs` at
// `offset` of the file. Bytes or -errno.
ssize_t transfer(int fd, std::span<const iovec> iovs, size_t bytes, uint64_t offset, bool write) {
    iovec iov[k_max_sink_iov];
    int n = 0;
    for (const iovec& v : iovs) {
        if (bytes == 0 || n == k_max_sink_iov)
            break;
        size_t len = std::min(v.iov_len, bytes);
        iov[n++] = {v.iov_base, len};
        bytes -= len;
    }
    ssize_t done;
    do {
        done = write ? ::pwritev(fd, iov, n, static_cast<off_t>(offset))
                     : ::preadv(fd, iov, n, static_cast<off_t>(offset));
    } while (done < 0 && errno == EINTR);
    return done < 0 ? -errno : done;
}

} // namespace

int Server::lopen(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    uint32_t dotl = r.u32();
    Fid* f;
    if (int e = request_fid(r, fid, f); e != 0)
        return e;
    if (f->io.valid() || f->xattr)
        return EBADF; // already open, or an xattr
    int flags = host_open_flags(dotl);
    if (m_read_only && writes(flags))
        return EROFS;
    if (f->is_dir)
        flags = (flags & ~(O_ACCMODE | O_TRUNC | O_APPEND)) | O_RDONLY | O_DIRECTORY;
    int fd = reopen(f->path.get(), flags);
    if (fd < 0)
        return -fd;
    f->io = Fd(fd);
    struct stat st {};
    if (int e = stat_fd(fd, st); e < 0)
        return -e;
    f->inode = {st.st_dev, st.st_ino};
    w.qid(make_qid(st));
    w.u32(k_iounit);
    return 0;
}

int Server::lcreate(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    std::string_view name = r.str();
    uint32_t dotl = r.u32();
    uint32_t mode = r.u32();
    r.u32(); // gid: files belong to the vmm's user
    Fid* dir;
    if (int e = dir_and_name(r, fid, name, dir); e != 0)
        return e;
    if (m_read_only)
        return EROFS;
    int flags = host_open_flags(dotl) & ~O_DIRECTORY;
    int fd = open_beneath(dir->path.get(), name, flags | O_CREAT | O_EXCL, mode & k_mode_mask);
    if (fd < 0)
        return -fd;
    Fd io(fd);
    int pfd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (pfd < 0)
        return errno;
    struct stat st {};
    if (int e = stat_fd(fd, st); e < 0)
        return -e;
    // The fid now names the new file, opened.
    dir->path = Fd(pfd);
    dir->io = std::move(io);
    dir->components.emplace_back(name);
    dir->is_dir = false;
    dir->inode = {st.st_dev, st.st_ino};
    w.qid(make_qid(st));
    w.u32(k_iounit);
    return 0;
}

int Server::read(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    uint64_t offset = r.u64();
    uint32_t count = r.u32();
    if (!r.ok())
        return EPROTO;
    Fid* f = find(fid);
    if (f && f->xattr)
        return xattr_read(*f->xattr, offset, count, w);
    if (!f || !f->io.valid())
        return EBADF;
    if (f->is_dir)
        return EISDIR;
    if (offset > static_cast<uint64_t>(INT64_MAX))
        return EINVAL;
    size_t room = m_reply_limit > w.size() + 4 ? m_reply_limit - w.size() - 4 : 0;
    size_t want = std::min<size_t>(count, room);
    size_t count_at = w.size();
    w.u32(0);
    ssize_t n;
    if (!m_read_sink.empty()) { // straight into the guest's buffers
        n = transfer(f->io.get(), m_read_sink, want, offset, false);
        if (n < 0)
            return static_cast<int>(-n);
        m_read_direct = static_cast<size_t>(n);
    } else {
        uint8_t* buf = w.reserve(want);
        do {
            n = ::pread(f->io.get(), buf, want, static_cast<off_t>(offset));
        } while (n < 0 && errno == EINTR);
        if (n < 0)
            return errno;
        w.shrink(count_at + 4 + static_cast<size_t>(n));
    }
    uint32_t got = static_cast<uint32_t>(n);
    for (size_t i = 0; i < 4; i++)
        *w.at(count_at + i) = static_cast<uint8_t>(got >> (8 * i));
    return 0;
}

int Server::write(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    uint64_t offset = r.u64();
    uint32_t count = r.u32();
    // The data follows in the message, or stayed in the guest's buffers (the source)
    bool from_source = !m_write_source.empty() && r.remaining() == 0;
    std::span<const uint8_t> data;
    std::vector<uint8_t> gathered;
    if (from_source) {
        if (count != m_write_source_bytes)
            return EPROTO; // the message's size and its count disagree
    } else {
        data = r.bytes(count);
    }
    if (!r.ok())
        return EPROTO;
    Fid* f = find(fid);
    if (f && f->xattr) {
        if (from_source) { // rare and small: gather it
            gathered.reserve(count);
            for (const iovec& v : m_write_source) {
                auto* p = static_cast<const uint8_t*>(v.iov_base);
                size_t n = std::min(v.iov_len, count - gathered.size());
                gathered.insert(gathered.end(), p, p + n);
            }
            data = gathered;
        }
        return xattr_write(*f->xattr, offset, data, w);
    }
    if (!f || !f->io.valid())
        return EBADF;
    if (m_read_only)
        return EROFS;
    if (offset > static_cast<uint64_t>(INT64_MAX))
        return EINVAL;
    ssize_t n;
    if (from_source) {
        n = transfer(f->io.get(), m_write_source, count, offset, true);
        if (n < 0)
            return static_cast<int>(-n);
    } else {
        do {
            n = ::pwrite(f->io.get(), data.data(), data.size(), static_cast<off_t>(offset));
        } while (n < 0 && errno == EINTR);
        if (n < 0)
            return errno;
    }
    w.u32(static_cast<uint32_t>(n));
    return 0;
}

int Server::readdir(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    uint64_t offset = r.u64();
    uint32_t count = r.u32();
    if (!r.ok())
        return EPROTO;
    Fid* f = find(fid);
    if (!f || !f->io.valid())
        return EBADF;
    if (!f->is_dir)
        return ENOTDIR;
    size_t room = m_reply_limit > w.size() + 4 ? m_reply_limit - w.size() - 4 : 0;
    size_t limit = std::min<size_t>(count, room);
    if (::lseek(f->io.get(), static_cast<off_t>(offset), SEEK_SET) < 0)
        return errno;
    size_t count_at = w.size();
    w.u32(0);
    std::vector<uint8_t> buf(std::max<size_t>(limit, 512));
    size_t used = 0;
    bool full = false;
    while (!full) {
        long n = ::syscall(SYS_getdents64, f->io.get(), buf.data(), buf.size());
        if (n < 0)
            return errno;
        if (n == 0)
            break;
        for (long pos = 0; pos < n;) {
            // struct linux_dirent64: ino[8] off[8] reclen[2] type[1] name (NUL-terminated)
            uint64_t ino, off;
            uint16_t reclen;
            std::memcpy(&ino, &buf[pos], 8);
            std::memcpy(&off, &buf[pos + 8], 8);
            std::memcpy(&reclen, &buf[pos + 16], 2);
            uint8_t type = buf[pos + 18];
            std::string_view name(reinterpret_cast<const char*>(&buf[pos + 19]));
            size_t entry = 13 + 8 + 1 + 2 + name.size();
            if (used + entry > limit) {
                full = true;
                break;
            }
            Qid q;
            q.type = type == DT_DIR ? k_qid_dir : type == DT_LNK ? k_qid_symlink : k_qid_file;
            q.path = ino;
            w.qid(q);
            w.u64(off);
            w.u8(type);
            w.str(name);
            used += entry;
            pos += reclen;
        }
        if (used == 0 && full)
            return EMSGSIZE; // not even one entry fits
    }
    for (size_t i = 0; i < 4; i++)
        *w.at(count_at + i) = static_cast<uint8_t>(used >> (8 * i));
    return 0;
}

int Server::mkdir(Reader& r, Writer& w) {
    uint32_t dfid = r.u32();
    std::string_view name = r.str();
    uint32_t mode = r.u32();
    r.u32(); // gid
    Fid* dir;
    if (int e = dir_and_name(r, dfid, name, dir); e != 0)
        return e;
    if (m_read_only)
        return EROFS;
    std::string n(name);
    if (::mkdirat(dir->path.get(), n.c_str(), mode & k_mode_mask) < 0)
        return errno;
    return reply_qid_at(dir->path.get(), name, w);
}

int Server::mknod(Reader& r, Writer& w) {
    uint32_t dfid = r.u32();
    std::string_view name = r.str();
    uint32_t mode = r.u32();
    r.u32(); // major
    r.u32(); // minor
    r.u32(); // gid
    Fid* dir;
    if (int e = dir_and_name(r, dfid, name, dir); e != 0)
        return e;
    if (m_read_only)
        return EROFS;
    if (!S_ISREG(mode) && !S_ISFIFO(mode))
        return EPERM; // no device nodes or sockets on the host
    std::string n(name);
    if (::mknodat(dir->path.get(), n.c_str(), (mode & S_IFMT) | (mode & k_mode_mask), 0) < 0)
        return errno;
    return reply_qid_at(dir->path.get(), name, w);
}

int Server::symlink(Reader& r, Writer& w) {
    uint32_t dfid = r.u32();
    std::string_view name = r.str();
    std::string_view target = r.str();
    r.u32(); // gid
    Fid* dir;
    if (int e = dir_and_name(r, dfid, name, dir); e != 0)
        return e;
    if (m_read_only)
        return EROFS;
    if (target.empty() || target.size() >= PATH_MAX || target.find('\0') != std::string_view::npos)
        return EINVAL;
    // The target is text for the guest to resolve; the server never follows it.
    std::string n(name), t(target);
    if (::symlinkat(t.c_str(), dir->path.get(), n.c_str()) < 0)
        return errno;
    return reply_qid_at(dir->path.get(), name, w);
}

int Server::link(Reader& r, Writer&) {
    uint32_t dfid = r.u32();
    uint32_t fid = r.u32();
    std::string_view name = r.str();
    Fid* dir;
    if (int e = dir_and_name(r, dfid, name, dir); e != 0)
        return e;
    Fid* src = find(fid); // every fid lies beneath the root: the source is confined
    if (!src)
        return EBADF;
    if (m_read_only)
        return EROFS;
    if (src->is_dir)
        return EPERM;
    std::string n(name);
    if (::linkat(src->path.get(), "", dir->path.get(), n.c_str(), AT_EMPTY_PATH) == 0)
        return 0;
    if (errno != ENOENT)
        return errno;
    // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; through our own fd's proc link instead
    // (regular files only: the same inode we hold, no lookup in the share).
    struct stat st {};
    if (int e = stat_fd(src->path.get(), st); e < 0)
        return -e;
    if (!S_ISREG(st.st_mode))
        return EPERM;
    if (::linkat(AT_FDCWD, proc_path(src->path.get()).c_str(), dir->path.get(), n.c_str(),
                 AT_SYMLINK_FOLLOW) < 0)
        return errno;
    return 0;
}

int Server::rename(Reader& r, Writer&) {
    uint32_t fid = r.u32();
    uint32_t dfid = r.u32();
    std::string_view name = r.str();
    Fid *f, *dir;
    if (int e = request_fid(r, fid, f); e != 0)
        return e;
    if (int e = dir_and_name(r, dfid, name, dir); e != 0)
        return e;
    if (m_read_only)
        return EROFS;
    Fd parent;
    std::string old;
    if (int e = parent_of(*f, parent, old); e != 0)
        return e;
    std::string n(name);
    if (::renameat(parent.get(), old.c_str(), dir->path.get(), n.c_str()) < 0)
        return errno;
    f->components = dir->components;
    f->components.push_back(n);
    return 0;
}

int Server::renameat(Reader& r, Writer&) {
    uint32_t odfid = r.u32();
    std::string_view oname = r.str();
    uint32_t ndfid = r.u32();
    std::string_view nname = r.str();
    Fid *odir, *ndir;
    if (int e = dir_and_name(r, odfid, oname, odir); e != 0)
        return e;
    if (int e = dir_and_name(r, ndfid, nname, ndir); e != 0)
        return e;
    if (m_read_only)
        return EROFS;
    std::string o(oname), n(nname);
    if (::renameat(odir->path.get(), o.c_str(), ndir->path.get(), n.c_str()) < 0)
        return errno;
    return 0;
}

int Server::unlinkat(Reader& r, Writer&) {
    uint32_t dfid = r.u32();
    std::string_view name = r.str();
    uint32_t flags = r.u32();
    Fid* dir;
    if (int e = dir_and_name(r, dfid, name, dir); e != 0)
        return e;
    if (m_read_only)
        return EROFS;
    std::string n(name);
    if (::unlinkat(dir->path.get(), n.c_str(), (flags & 0x200) ? AT_REMOVEDIR : 0) < 0)
        return errno;
    return 0;
}

int Server::fsync(Reader& r, Writer&) {
    uint32_t fid = r.u32();
    uint32_t datasync = r.u32();
    if (!r.ok())
        return EPROTO;
    Fid* f = find(fid);
    if (!f || !f->io.valid())
        return EBADF;
    int rc = datasync ? ::fdatasync(f->io.get()) : ::fsync(f->io.get());
    return rc < 0 ? errno : 0;
}

} // namespace hyper::p9
