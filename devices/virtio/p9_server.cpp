#include "devices/virtio/p9_server.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <utility>

#include "devices/virtio/p9_fs.hpp"

namespace hyper::p9 {

Result<Server> Server::open(const std::string& path, bool read_only, size_t max_fids) {
    Fd root(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid()) {
        if (errno == ENOTDIR)
            return fail(ExitCode::NoInput, "share " + path + " is not a directory");
        return fail_errno("share " + path, errno, ExitCode::NoInput);
    }
    return Server(std::move(root), read_only, max_fids);
}

void Server::reset() {
    m_fids.clear();
    m_lock_files.clear();
    m_lock_owners = 0;
    m_msize = 0;
}

Fid* Server::find(uint32_t fid) {
    auto it = m_fids.find(fid);
    return it == m_fids.end() ? nullptr : &it->second;
}

bool Server::can_add(uint32_t fid) const {
    return fid != k_no_fid && (m_fids.size() < m_max_fids || m_fids.count(fid) != 0);
}

int Server::request_fid(const Reader& r, uint32_t fid, Fid*& f) {
    if (!r.ok())
        return EPROTO;
    f = find(fid);
    return f ? 0 : EBADF;
}

int Server::dir_and_name(const Reader& r, uint32_t dfid, std::string_view name, Fid*& dir) {
    if (int e = request_fid(r, dfid, dir); e != 0)
        return e;
    if (!dir->is_dir)
        return ENOTDIR;
    if (name.size() > k_max_name)
        return ENAMETOOLONG;
    return valid_name(name) ? 0 : EINVAL;
}

int Server::parent_of(const Fid& fid, Fd& parent, std::string& name) const {
    if (fid.components.empty())
        return EBUSY;
    std::vector<std::string> up(fid.components.begin(), fid.components.end() - 1);
    int fd = open_path(m_root.get(), up);
    if (fd < 0)
        return -fd;
    parent = Fd(fd);
    name = fid.components.back();
    return 0;
}

int Server::reply_qid_at(int dirfd, std::string_view name, Writer& w) const {
    struct stat st {};
    if (int e = stat_at(dirfd, name, st); e < 0)
        return -e;
    w.qid(make_qid(st));
    return 0;
}

std::vector<uint8_t> Server::handle(std::span<const uint8_t> request, uint32_t reply_limit) {
    // The message may end in guest memory (set_write_source): taken for this one only.
    std::span<const iovec> source = std::exchange(m_write_source, {});
    size_t source_bytes = source.empty() ? 0 : m_write_source_bytes;
    m_write_source_bytes = 0;
    Reader r(request);
    uint32_t size = r.u32();
    uint8_t type = r.u8();
    uint16_t tag = r.u16();
    if (!r.ok())
        return make_error(k_no_tag, EPROTO);
    if (size < k_header_size || size > request.size() + source_bytes ||
        (m_msize && size > m_msize) || (type & 1) != 0)
        return make_error(tag, EPROTO);
    if (type != k_tversion && m_msize == 0)
        return make_error(tag, EPROTO); // Tversion first
    size_t in_request = std::min<size_t>(size, request.size());
    if (size > in_request) {
        m_write_source = source;
        m_write_source_bytes = size - in_request;
    }
    Reader body(request.subspan(k_header_size, in_request - k_header_size));
    m_read_direct = 0;
    m_reply_limit = std::min(reply_limit, m_msize ? m_msize : k_max_msize);
    std::vector<uint8_t> out;
    out.reserve(256);
    Writer w(out);
    w.begin(static_cast<uint8_t>(type + 1), tag);
    int err = dispatch(type, body, w);
    m_read_sink = {};
    m_write_source = {};
    m_write_source_bytes = 0;
    if (err != 0)
        m_read_direct = 0;
    if (err == 0 && !body.ok())
        err = EPROTO;
    if (err != 0)
        return make_error(tag, static_cast<uint32_t>(err));
    w.finish();
    if (m_read_direct > 0) { // the message's size counts the data already in the buffers
        uint32_t total = static_cast<uint32_t>(out.size() + m_read_direct);
        for (size_t i = 0; i < 4; i++)
            out[i] = static_cast<uint8_t>(total >> (8 * i));
    }
    if (out.size() + m_read_direct > m_reply_limit) {
        m_read_direct = 0;
        return make_error(tag, EMSGSIZE);
    }
    return out;
}

int Server::dispatch(uint8_t type, Reader& r, Writer& w) {
    switch (type) {
    case k_tversion: return version(r, w);
    case k_tattach: return attach(r, w);
    case k_twalk: return walk(r, w);
    case k_tclunk: return clunk(r, w, false);
    case k_tremove: return clunk(r, w, true);
    case k_tgetattr: return getattr(r, w);
    case k_tsetattr: return setattr(r, w);
    case k_tstatfs: return statfs(r, w);
    case k_treadlink: return readlink(r, w);
    case k_tlock: return lock(r, w);
    case k_tgetlock: return getlock(r, w);
    case k_tlopen: return lopen(r, w);
    case k_tlcreate: return lcreate(r, w);
    case k_tread: return read(r, w);
    case k_twrite: return write(r, w);
    case k_treaddir: return readdir(r, w);
    case k_tmkdir: return mkdir(r, w);
    case k_tmknod: return mknod(r, w);
    case k_tsymlink: return symlink(r, w);
    case k_tlink: return link(r, w);
    case k_trename: return rename(r, w);
    case k_trenameat: return renameat(r, w);
    case k_tunlinkat: return unlinkat(r, w);
    case k_tfsync: return fsync(r, w);
    case k_tflush: r.u16(); return 0; // requests complete in order: nothing to abort
    case k_tauth: return EOPNOTSUPP;  // no authentication: attach directly
    case k_txattrwalk: return xattrwalk(r, w);
    case k_txattrcreate: return xattrcreate(r, w);
    default: return EOPNOTSUPP;
    }
}

int Server::version(Reader& r, Writer& w) {
    uint32_t msize = r.u32();
    std::string_view v = r.str();
    if (!r.ok())
        return EPROTO;
    if (msize < 4096)
        return EINVAL;
    m_fids.clear(); // a new session
    m_lock_files.clear();
    m_lock_owners = 0;
    m_msize = std::min(msize, k_max_msize);
    m_reply_limit = std::min(m_reply_limit, m_msize);
    w.u32(m_msize);
    w.str(v == "9P2000.L" ? "9P2000.L" : "unknown");
    return 0;
}

int Server::attach(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    r.u32(); // afid: no authentication
    r.str(); // uname
    r.str(); // aname: one share per device
    r.u32(); // n_uname
    if (!r.ok())
        return EPROTO;
    if (find(fid))
        return EBADF;
    if (!can_add(fid))
        return EMFILE;
    int fd = ::fcntl(m_root.get(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    Fid f;
    f.path = Fd(fd);
    f.is_dir = true;
    struct stat st {};
    if (int e = stat_fd(fd, st); e < 0)
        return -e;
    w.qid(make_qid(st));
    m_fids[fid] = std::move(f);
    return 0;
}

int Server::walk(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    uint32_t newfid = r.u32();
    uint16_t n = r.u16();
    if (n > k_max_walk)
        return EINVAL;
    std::vector<std::string_view> names;
    for (uint16_t i = 0; i < n; i++)
        names.push_back(r.str());
    Fid* from;
    if (int e = request_fid(r, fid, from); e != 0)
        return e;
    if (newfid != fid && (find(newfid) || !can_add(newfid)))
        return find(newfid) ? EBADF : EMFILE;
    // `held` is the last name opened; until then the walk starts from `from`'s own fd,
    // which only a clone (no names) duplicates.
    Fd held;
    if (names.empty()) {
        held = Fd(::fcntl(from->path.get(), F_DUPFD_CLOEXEC, 0));
        if (!held.valid())
            return errno;
    }
    std::vector<std::string> comps = from->components;
    bool is_dir = from->is_dir;
    std::vector<Qid> qids;
    int err = 0;
    for (std::string_view name : names) {
        int next;
        if (name == "..") {
            if (!comps.empty())
                comps.pop_back();
            next = open_path(m_root.get(), comps);
        } else if (name.size() > k_max_name) {
            next = -ENAMETOOLONG;
        } else if (!valid_name(name)) {
            next = -EINVAL;
        } else {
            next = open_beneath(held.valid() ? held.get() : from->path.get(), name, O_PATH);
            if (next >= 0)
                comps.emplace_back(name);
        }
        if (next < 0) {
            err = -next;
            break;
        }
        held = Fd(next);
        struct stat st {};
        if (int e = stat_fd(held.get(), st); e < 0) {
            err = -e;
            break;
        }
        is_dir = S_ISDIR(st.st_mode);
        qids.push_back(make_qid(st));
    }
    if (err != 0 && qids.empty())
        return err;
    w.u16(static_cast<uint16_t>(qids.size()));
    for (const Qid& q : qids)
        w.qid(q);
    if (qids.size() == names.size()) {
        Fid f;
        f.path = std::move(held);
        f.components = std::move(comps);
        f.is_dir = is_dir;
        m_fids[newfid] = std::move(f); // replaces `fid` itself when newfid == fid
    }
    return 0;
}

int Server::clunk(Reader& r, Writer&, bool remove) {
    uint32_t fid = r.u32();
    Fid* f;
    if (int e = request_fid(r, fid, f); e != 0)
        return e;
    int err = 0;
    if (f->io.valid() && m_lock_files.count(f->inode)) {
        bool other_open = std::any_of(m_fids.begin(), m_fids.end(), [&](const auto& e) {
            return e.first != fid && e.second.io.valid() && e.second.inode == f->inode;
        });
        if (!other_open)
            drop_locks(*f, 0, true);
    }
    if (f->xattr && f->xattr->writing)
        err = xattr_commit(*f);
    else if (remove) {
        Fd parent;
        std::string name;
        if (m_read_only)
            err = EROFS;
        else if ((err = parent_of(*f, parent, name)) == 0 &&
                 ::unlinkat(parent.get(), name.c_str(), f->is_dir ? AT_REMOVEDIR : 0) < 0)
            err = errno;
    }
    m_fids.erase(fid); // Tremove clunks the fid even when the removal fails
    return err;
}

int Server::getattr(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    r.u64(); // request mask: we always answer the basic set
    Fid* f;
    if (int e = request_fid(r, fid, f); e != 0)
        return e;
    struct stat st {};
    if (int e = stat_fd(f->path.get(), st); e < 0)
        return -e;
    w.u64(0x7ff); // P9_STATS_BASIC
    w.qid(make_qid(st));
    w.u32(st.st_mode);
    w.u32(st.st_uid);
    w.u32(st.st_gid);
    w.u64(st.st_nlink);
    w.u64(st.st_rdev);
    w.u64(static_cast<uint64_t>(st.st_size));
    w.u64(static_cast<uint64_t>(st.st_blksize));
    w.u64(static_cast<uint64_t>(st.st_blocks));
    for (const timespec& t : {st.st_atim, st.st_mtim, st.st_ctim}) {
        w.u64(static_cast<uint64_t>(t.tv_sec));
        w.u64(static_cast<uint64_t>(t.tv_nsec));
    }
    for (int i = 0; i < 4; i++)
        w.u64(0); // btime sec/nsec, gen, data_version
    return 0;
}

int Server::statfs(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    Fid* f;
    if (int e = request_fid(r, fid, f); e != 0)
        return e;
    struct statfs s {};
    if (::fstatfs(f->path.get(), &s) < 0)
        return errno;
    w.u32(static_cast<uint32_t>(s.f_type));
    w.u32(static_cast<uint32_t>(s.f_bsize));
    w.u64(s.f_blocks);
    w.u64(s.f_bfree);
    w.u64(s.f_bavail);
    w.u64(s.f_files);
    w.u64(s.f_ffree);
    uint64_t fsid = 0;
    static_assert(sizeof s.f_fsid == sizeof fsid);
    std::memcpy(&fsid, &s.f_fsid, sizeof fsid);
    w.u64(fsid);
    w.u32(static_cast<uint32_t>(s.f_namelen));
    return 0;
}

int Server::readlink(Reader& r, Writer& w) {
    uint32_t fid = r.u32();
    Fid* f;
    if (int e = request_fid(r, fid, f); e != 0)
        return e;
    char buf[PATH_MAX];
    ssize_t n = ::readlinkat(f->path.get(), "", buf, sizeof buf);
    if (n < 0)
        return errno == ENOENT ? EINVAL : errno; // "" on a non-symlink: ENOENT
    w.str(std::string_view(buf, static_cast<size_t>(n)));
    return 0;
}

} // namespace hyper::p9
