#pragma once
// A 9P2000.L file server over one host directory (the share root), driven one message at
// a time: handle() takes a T-message and returns the R-message (Rlerror with a Linux
// errno on failure; a malformed message gets Rlerror(EPROTO), never a crash).
//
// Confinement: the root is an O_PATH directory fd; every fid holds an O_PATH fd reached
// from it one component at a time (p9_fs.hpp) plus its component list from the root.
// ".." is never passed to the host: a walk to ".." re-opens the fid's parent by walking
// its component list again from the root (at the root ".." stays at the root, as 9P
// servers do). Symlinks are never followed by the server: a walk ends on the symlink
// itself (getattr reports it, readlink returns its text, the guest resolves it), and a
// walk through one fails (ENOTDIR/ELOOP). After a host-side rename a fid's component
// list may be stale; ".." then re-walks the old names, still beneath the root.
// Created files never get set-uid/set-gid bits (mode & 01777), and mknod makes regular
// files and fifos only. A read-only share answers EROFS to every modifying request.
// Extended attributes: only the user.* namespace and POSIX ACLs, on regular files and
// directories (security.*, trusted.* and other system.* names could give host files
// capabilities or steer host software: refused). Locks are real host locks (open file
// description locks on the fid's open file), so host processes and the guest see each
// other's locks; a conflicting request is answered BLOCKED and the client retries.
// At most k_max_lock_owners files hold locks at once (ENOLCK beyond).
//
// Not thread-safe: one device I/O thread owns it.
#include <cstdint>
#include <fcntl.h>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <sys/uio.h>
#include <unordered_map>
#include <vector>

#include "base/fd.hpp"
#include "base/result.hpp"
#include "devices/virtio/p9_wire.hpp"

namespace hyper::p9 {

constexpr uint32_t k_max_msize = 512 * 1024 + k_io_header_size;
constexpr size_t k_max_fids = 65536;
constexpr size_t k_max_lock_owners = 1024;
constexpr int k_max_sink_iov = 256;
constexpr uint32_t k_rread_header_size = k_header_size + 4;          // + count[4]
constexpr uint32_t k_twrite_header_size = k_header_size + 4 + 8 + 4; // fid, offset, count

// A fid turned into an extended attribute by Txattrwalk (the value, read with Tread) or
// Txattrcreate (the value being written with Twrite; set on Tclunk).
struct XattrFid {
    std::string name;
    std::vector<uint8_t> value;
    bool writing{false};
    uint64_t size{0}; // Txattrcreate's announced size
    int flags{0};     // XATTR_CREATE / XATTR_REPLACE
};

struct Fid {
    Fd path;                             // O_PATH (or a dup of `io`)
    Fd io;                               // after Tlopen/Tlcreate
    std::vector<std::string> components; // from the root
    bool is_dir{false};
    std::unique_ptr<XattrFid> xattr;       // set: this fid is an xattr, not a file
    std::pair<uint64_t, uint64_t> inode{}; // device and inode, once open
};

class Server {
  public:
    // Errors: `path` missing or not a directory (ExitCode::NoInput, naming it).
    static Result<Server> open(const std::string& path, bool read_only,
                               size_t max_fids = k_max_fids);

    // One request; the reply is at most min(msize, reply_limit) bytes (reads and
    // readdirs are clamped to fit; anything else too big becomes Rlerror(EMSGSIZE)).
    std::vector<uint8_t> handle(std::span<const uint8_t> request, uint32_t reply_limit);

    // The guest memory an Rread's data may go straight into (the reply buffers after the
    // 11-byte Rread header), for the next handle() only: a Tread then preads into it and
    // the reply holds just the header; read_direct_bytes() says how much went there.
    // Without it (or for anything but a file read) the data is in the reply.
    void set_read_sink(std::span<const iovec> sink) { m_read_sink = sink; }
    size_t read_direct_bytes() const { return m_read_direct; }
    // The rest of the next handle()'s message, past `request`, left in guest memory (a
    // Twrite's data, `bytes` in all): handle() checks the message's size against the
    // request plus these, and Twrite pwritev()s straight from them. Next handle() only.
    void set_write_source(std::span<const iovec> source, size_t bytes) {
        m_write_source = source;
        m_write_source_bytes = bytes;
    }

    uint32_t msize() const { return m_msize; }
    size_t fid_count() const { return m_fids.size(); }
    // Forgets every fid and the negotiated msize (device reset).
    void reset();

  private:
    Server(Fd root, bool read_only, size_t max_fids)
        : m_root(std::move(root)), m_read_only(read_only), m_max_fids(max_fids) {}

    // Each handler reads its fields, writes the reply body and returns 0, or an errno.
    int version(Reader& r, Writer& w);
    int attach(Reader& r, Writer& w);
    int walk(Reader& r, Writer& w);
    int clunk(Reader& r, Writer& w, bool remove);
    int getattr(Reader& r, Writer& w);
    int setattr(Reader& r, Writer& w);
    int statfs(Reader& r, Writer& w);
    int readlink(Reader& r, Writer& w);
    int lock(Reader& r, Writer& w);
    int getlock(Reader& r, Writer& w);
    int xattrwalk(Reader& r, Writer& w);
    int xattrcreate(Reader& r, Writer& w);
    int xattr_read(const XattrFid& x, uint64_t offset, uint32_t count, Writer& w);
    int xattr_write(XattrFid& x, uint64_t offset, std::span<const uint8_t> data, Writer& w);

    int xattr_commit(const Fid& f);
    int lock_fd(const Fid& f, uint32_t proc_id);
    int fcntl_lock(uint32_t fid, uint32_t proc_id, uint8_t type, uint64_t start, uint64_t length,
                   int cmd, struct flock& fl);
    // Forgets `proc_id`'s locks on `f`'s file (every owner's when `all`), closing their
    // open files; `all` only when no other open fid names the file.
    void drop_locks(const Fid& f, uint32_t proc_id, bool all);
    int lopen(Reader& r, Writer& w);
    int lcreate(Reader& r, Writer& w);
    int read(Reader& r, Writer& w);
    int write(Reader& r, Writer& w);
    int readdir(Reader& r, Writer& w);
    int mkdir(Reader& r, Writer& w);
    int mknod(Reader& r, Writer& w);
    int symlink(Reader& r, Writer& w);
    int link(Reader& r, Writer& w);
    int rename(Reader& r, Writer& w);
    int renameat(Reader& r, Writer& w);
    int unlinkat(Reader& r, Writer& w);
    int fsync(Reader& r, Writer& w);
    int dispatch(uint8_t type, Reader& r, Writer& w);

    Fid* find(uint32_t fid);
    // Room for one more fid (or `fid` already exists and will be replaced).
    bool can_add(uint32_t fid) const;
    // The fid a request names, once its fields are read from `r`: EPROTO when the request
    // was short, EBADF when there is no such fid.
    int request_fid(const Reader& r, uint32_t fid, Fid*& f);
    // The same for a directory fid `dfid`, and a checked child name, for *at() calls.
    int dir_and_name(const Reader& r, uint32_t dfid, std::string_view name, Fid*& dir);
    // Opens the parent of `fid` (O_PATH) and gives its last component; EBUSY at the root.
    int parent_of(const Fid& fid, Fd& parent, std::string& name) const;
    // Reply qid of `name` in `dirfd`.
    int reply_qid_at(int dirfd, std::string_view name, Writer& w) const;

    Fd m_root;
    bool m_read_only;
    size_t m_max_fids;
    uint32_t m_msize{0};
    uint32_t m_reply_limit{0};
    std::unordered_map<uint32_t, Fid> m_fids;
    std::span<const iovec> m_read_sink;
    size_t m_read_direct{0};
    std::span<const iovec> m_write_source;
    size_t m_write_source_bytes{0};
    // One open file per (host file, guest lock owner) holds that owner's locks, so the
    // guest's POSIX semantics hold on the host: one owner's locks never conflict with
    // each other and an unlock by another owner (e.g. a child closing an inherited fd)
    // leaves them alone. Closed when the owner unlocks the whole file, or when the last
    // open fid of the file is clunked (the guest can hold no lock on it any more).
    std::map<std::pair<uint64_t, uint64_t>, std::unordered_map<uint32_t, Fd>> m_lock_files;
    size_t m_lock_owners{0};
};

} // namespace hyper::p9
