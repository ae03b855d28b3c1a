// Extended attributes and POSIX locks of the 9P2000.L Server (see p9_server.hpp for what
// is allowed and why).
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "devices/virtio/p9_fs.hpp"
#include "devices/virtio/p9_server.hpp"

namespace hyper::p9 {

namespace {

constexpr size_t k_xattr_max = 64 * 1024; // XATTR_SIZE_MAX and XATTR_LIST_MAX

// The names the guest may read and write on host files.
bool allowed_xattr(std::string_view name) {
    return (name.size() > 5 && name.starts_with("user.")) || name == "system.posix_acl_access" ||
           name == "system.posix_acl_default";
}

// The host path of what `fd` holds when it may carry xattrs (regular file or directory),
// or an errno (symlinks and special files carry no user xattrs on Linux).
int xattr_path(int fd, std::string& path) {
    struct stat st {};
    if (int e = stat_fd(fd, st); e < 0)
        return -e;
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return EPERM;
    path = proc_path(fd);
    return 0;
}

// Names of the allowed xattrs, each NUL-terminated (listxattr's format).
int list_allowed(const std::string& path, std::vector<uint8_t>& out) {
    std::vector<char> names(k_xattr_max);
    ssize_t n = ::listxattr(path.c_str(), names.data(), names.size());
    if (n < 0)
        return errno == ENOTSUP ? 0 : errno; // a file system without xattrs: none
    for (size_t i = 0; i < static_cast<size_t>(n);) {
        std::string_view name(names.data() + i);
        if (allowed_xattr(name)) {
            out.insert(out.end(), name.begin(), name.end());
            out.push_back(0);
        }
        i += name.size() + 1;
    }
    return 0;
}

bool fits_off_t(uint64_t start, uint64_t length) {
    return start <= static_cast<uint64_t>(INT64_MAX) &&
           length <= static_cast<uint64_t>(INT64_MAX) - start;
}

} // namespace

int Server::xattrwalk(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    uint32_t newfid = r.u32();
    std::string_view name = r.str();
    Fid* f;
    if (int e = request_fid(r, fid, f); e != 0)
        return e;
    if (newfid != fid && (find(newfid) || !can_add(newfid)))
        return find(newfid) ? EBADF : EMFILE;
    std::string path;
    auto x = std::make_unique<XattrFid>();
    x->name = name;
    if (int e = xattr_path(f->path.get(), path); e != 0) {
        if (!name.empty())
            return ENODATA;
    } else if (name.empty()) {
        if (int e2 = list_allowed(path, x->value); e2 != 0)
            return e2;
    } else {
        if (!allowed_xattr(name))
            return ENODATA;
        x->value.resize(k_xattr_max);
        ssize_t n = ::getxattr(path.c_str(), x->name.c_str(), x->value.data(), x->value.size());
        if (n < 0)
            return errno == ENOTSUP ? ENODATA : errno;
        x->value.resize(static_cast<size_t>(n));
    }
    int dup = ::fcntl(f->path.get(), F_DUPFD_CLOEXEC, 0);
    if (dup < 0)
        return errno;
    w.u64(x->value.size());
    Fid nf;
    nf.path = Fd(dup);
    nf.components = f->components;
    nf.is_dir = f->is_dir;
    nf.xattr = std::move(x);
    m_fids[newfid] = std::move(nf);
    return 0;
}

int Server::xattrcreate(Reader& r, Writer&) {
    uint32_t fid = r.u32();
    std::string_view name = r.str();
    uint64_t size = r.u64();
    uint32_t flags = r.u32();
    Fid* f;
    if (int e = request_fid(r, fid, f); e != 0)
        return e;
    if (m_read_only)
        return EROFS;
    if (!allowed_xattr(name))
        return EOPNOTSUPP;
    if (size > k_xattr_max)
        return E2BIG;
    if (flags & ~uint32_t{XATTR_CREATE | XATTR_REPLACE})
        return EINVAL;
    if (f->io.valid() || f->xattr)
        return EBADF;
    std::string path;
    if (int e = xattr_path(f->path.get(), path); e != 0)
        return e;
    auto x = std::make_unique<XattrFid>();
    x->name = name;
    x->writing = true;
    x->size = size;
    x->flags = static_cast<int>(flags);
    x->value.reserve(size);
    f->xattr = std::move(x);
    return 0;
}

int Server::xattr_read(const XattrFid& x, uint64_t offset, uint32_t count, Writer& w) {
    if (x.writing)
        return EBADF;
    size_t room = m_reply_limit > w.size() + 4 ? m_reply_limit - w.size() - 4 : 0;
    size_t start = std::min<uint64_t>(offset, x.value.size());
    size_t n = std::min<size_t>({count, room, x.value.size() - start});
    w.u32(static_cast<uint32_t>(n));
    w.bytes(std::span(x.value).subspan(start, n));
    return 0;
}

int Server::xattr_write(XattrFid& x, uint64_t offset, std::span<const uint8_t> data, Writer& w) {
    if (!x.writing)
        return EBADF;
    // The value arrives in order; anything else, or more than announced, is refused.
    if (offset != x.value.size() || data.size() > x.size - x.value.size())
        return EINVAL;
    x.value.insert(x.value.end(), data.begin(), data.end());
    w.u32(static_cast<uint32_t>(data.size()));
    return 0;
}

// On Tclunk of a Txattrcreate fid: size 0 removes the attribute (what the Linux client
// sends for removexattr), otherwise the whole announced value must have been written.
int Server::xattr_commit(const Fid& f) {
    const XattrFid& x = *f.xattr;
    std::string path;
    if (int e = xattr_path(f.path.get(), path); e != 0)
        return e;
    int rc;
    if (x.size == 0)
        rc = ::removexattr(path.c_str(), x.name.c_str());
    else if (x.value.size() != x.size)
        return EINVAL;
    else
        rc = ::setxattr(path.c_str(), x.name.c_str(), x.value.data(), x.value.size(), x.flags);
    return rc < 0 ? errno : 0;
}

namespace {

enum : uint8_t { k_lock_rd = 0, k_lock_wr = 1, k_lock_un = 2 };
enum : uint8_t { k_lock_success = 0, k_lock_blocked = 1, k_lock_error = 2 };

int host_lock_type(uint8_t type) {
    switch (type) {
    case k_lock_rd: return F_RDLCK;
    case k_lock_wr: return F_WRLCK;
    case k_lock_un: return F_UNLCK;
    default: return -1;
    }
}

uint8_t wire_lock_type(short type) {
    return type == F_RDLCK ? k_lock_rd : type == F_WRLCK ? k_lock_wr : k_lock_un;
}

} // namespace

// The open file that holds `proc_id`'s locks on the file `f` names (see m_lock_files):
// read-write when the host allows, so both lock types work whatever the guest opened
// the file for (flock(2) takes a write lock on a read-only open).
int Server::lock_fd(const Fid& f, uint32_t proc_id) {
    auto& owners = m_lock_files[f.inode];
    if (auto it = owners.find(proc_id); it != owners.end())
        return it->second.get();
    int fd = m_lock_owners >= k_max_lock_owners ? -ENOLCK : reopen(f.path.get(), O_RDWR);
    if (fd < 0 && fd != -ENOLCK)
        fd = reopen(f.path.get(), f.is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) {
        if (owners.empty())
            m_lock_files.erase(f.inode);
        return fd;
    }
    owners.emplace(proc_id, Fd(fd));
    m_lock_owners++;
    return fd;
}

void Server::drop_locks(const Fid& f, uint32_t proc_id, bool all) {
    auto it = m_lock_files.find(f.inode);
    if (it == m_lock_files.end())
        return;
    size_t before = it->second.size();
    if (all)
        it->second.clear();
    else
        it->second.erase(proc_id);
    m_lock_owners -= before - it->second.size();
    if (it->second.empty())
        m_lock_files.erase(it);
}

// Checks a lock request and runs fcntl(cmd) for it on the owner's open file: 0 when
// fcntl succeeded, a positive errno for an Rlerror, or -errno of fcntl itself.
int Server::fcntl_lock(uint32_t fid, uint32_t proc_id, uint8_t type, uint64_t start,
                       uint64_t length, int cmd, struct flock& fl) {
    Fid* f = find(fid);
    if (!f || !f->io.valid())
        return EBADF;
    int host_type = host_lock_type(type);
    if (host_type < 0 || (cmd == F_OFD_GETLK && host_type == F_UNLCK) || !fits_off_t(start, length))
        return EINVAL;
    int fd = lock_fd(*f, proc_id);
    if (fd < 0)
        return -fd;
    fl = {};
    fl.l_type = static_cast<short>(host_type);
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(start);
    fl.l_len = static_cast<off_t>(length); // 0: to the end of the file, as in 9P
    return ::fcntl(fd, cmd, &fl) == 0 ? 0 : -errno;
}

// Tlock: never waits (one thread serves the share). A conflict is BLOCKED; the Linux
// client sleeps and retries for F_SETLKW, and fails with EAGAIN for F_SETLK.
int Server::lock(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    uint8_t type = r.u8();
    r.u32(); // flags: BLOCK is the client's retry loop, RECLAIM has no meaning here
    uint64_t start = r.u64();
    uint64_t length = r.u64();
    uint32_t proc_id = r.u32();
    r.str(); // client_id: one client per share
    if (!r.ok())
        return EPROTO;
    struct flock fl {};
    int e = fcntl_lock(fid, proc_id, type, start, length, F_OFD_SETLK, fl);
    if (e > 0 || e == -EBADF)
        return e > 0 ? e : EBADF; // EBADF: a write lock on a file the host opens read-only
    if (e == 0 && type == k_lock_un && start == 0 && length == 0)
        drop_locks(*find(fid), proc_id, false); // the owner holds nothing on it any more
    w.u8(e == 0 ? k_lock_success : e == -EAGAIN || e == -EACCES ? k_lock_blocked : k_lock_error);
    return 0;
}

int Server::getlock(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    uint8_t type = r.u8();
    uint64_t start = r.u64();
    uint64_t length = r.u64();
    uint32_t proc_id = r.u32();
    std::string_view client = r.str();
    if (!r.ok())
        return EPROTO;
    struct flock fl {};
    if (int e = fcntl_lock(fid, proc_id, type, start, length, F_OFD_GETLK, fl); e != 0)
        return e > 0 ? e : -e;
    w.u8(wire_lock_type(fl.l_type));
    if (fl.l_type == F_UNLCK) { // no conflict: the request comes back
        w.u64(start);
        w.u64(length);
        w.u32(proc_id);
        w.str(client);
        return 0;
    }
    w.u64(static_cast<uint64_t>(fl.l_start));
    w.u64(static_cast<uint64_t>(fl.l_len));
    w.u32(fl.l_pid > 0 ? static_cast<uint32_t>(fl.l_pid) : 0); // -1 for another OFD lock
    w.str("host");
    return 0;
}

} // namespace hyper::p9
