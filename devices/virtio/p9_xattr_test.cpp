// Extended attributes and locks of the 9P server, against a real host directory.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "devices/virtio/p9_server.hpp"
#include "devices/virtio/p9_test_client.hpp"

using namespace hyper;
using namespace hyper::p9;
using namespace hyper::p9::testing;

namespace {

Reply xattrwalk(Client& c, uint32_t fid, uint32_t newfid, const std::string& name) {
    auto& w = c.begin(k_txattrwalk);
    w.u32(fid);
    w.u32(newfid);
    w.str(name);
    return c.send();
}

Reply xattrcreate(Client& c, uint32_t fid, const std::string& name, uint64_t size,
                  uint32_t flags = 0) {
    auto& w = c.begin(k_txattrcreate);
    w.u32(fid);
    w.str(name);
    w.u64(size);
    w.u32(flags);
    return c.send();
}

uint64_t walk_size(const Reply& r) {
    Reader rd(r.body());
    return rd.u64();
}

// Sets xattr `name` of the file `fid` names to `value` the way the Linux client does:
// clone the fid, Txattrcreate, Twrite, Tclunk. Returns the clunk's reply.
Reply set_xattr(Client& c, uint32_t fid, const std::string& name, const std::string& value,
                uint32_t flags = 0) {
    REQUIRE(Client::walked(c.walk(fid, 90, {})) == 0);
    Reply r = xattrcreate(c, 90, name, value.size(), flags);
    if (r.is_error()) {
        c.fid_op(k_tclunk, 90);
        return r;
    }
    if (!value.empty())
        REQUIRE(c.write(90, 0, value).type() == k_twrite + 1);
    return c.fid_op(k_tclunk, 90);
}

std::string host_xattr(const std::string& path, const char* name) {
    char buf[256];
    ssize_t n = ::getxattr(path.c_str(), name, buf, sizeof buf);
    return n < 0 ? "<errno " + std::to_string(errno) + ">" : std::string(buf, size_t(n));
}

Reply lock(Client& c, uint32_t fid, uint8_t type, uint64_t start, uint64_t len,
           uint32_t owner = 42) {
    auto& w = c.begin(k_tlock);
    w.u32(fid);
    w.u8(type);
    w.u32(0);
    w.u64(start);
    w.u64(len);
    w.u32(owner);
    w.str("guest");
    return c.send();
}

uint8_t status(const Reply& r) {
    return r.body().empty() ? 0xff : r.body()[0];
}

} // namespace

TEST_CASE("9p xattr: user.* set, read, listed and removed on the host file") {
    Share s;
    Client& c = *s.client;
    REQUIRE(Client::walked(c.walk(0, 1, {})) == 0);
    REQUIRE(c.lcreate(1, "f").type() == k_tlcreate + 1);
    REQUIRE(Client::walked(c.walk(0, 2, {"f"})) == 1);

    REQUIRE(set_xattr(c, 2, "user.color", "blue").type() == k_tclunk + 1);
    CHECK(host_xattr(s.path("f"), "user.color") == "blue");
    // XATTR_CREATE on an existing name fails when the fid is clunked.
    CHECK(set_xattr(c, 2, "user.color", "red", XATTR_CREATE).err() == EEXIST);

    Reply r = xattrwalk(c, 2, 3, "user.color");
    REQUIRE(r.type() == k_txattrwalk + 1);
    CHECK(walk_size(r) == 4);
    CHECK(c.read(3, 0, 100) == "blue");
    CHECK(c.read(3, 2, 100) == "ue");
    CHECK(c.lopen(3, 0).err() == EBADF); // an xattr fid is not a file
    REQUIRE(c.fid_op(k_tclunk, 3).type() == k_tclunk + 1);

    // The list shows only the names the guest may use.
    REQUIRE(::setxattr(s.path("f").c_str(), "user.second", "2", 1, 0) == 0);
    r = xattrwalk(c, 2, 3, "");
    REQUIRE(r.type() == k_txattrwalk + 1);
    std::string list = c.read(3, 0, 1000);
    CHECK(list.size() == walk_size(r));
    CHECK(list.find(std::string("user.color\0", 11)) != std::string::npos);
    CHECK(list.find(std::string("user.second\0", 12)) != std::string::npos);
    c.fid_op(k_tclunk, 3);

    CHECK(xattrwalk(c, 2, 3, "user.missing").err() == ENODATA);
    // Size 0: removal (what the Linux client sends for removexattr).
    REQUIRE(set_xattr(c, 2, "user.color", "").type() == k_tclunk + 1);
    CHECK(host_xattr(s.path("f"), "user.color") == "<errno " + std::to_string(ENODATA) + ">");
}

TEST_CASE("9p xattr: dangerous namespaces, bad sizes and read-only shares are refused") {
    Share s;
    Client& c = *s.client;
    REQUIRE(Client::walked(c.walk(0, 1, {})) == 0);
    REQUIRE(c.lcreate(1, "f").type() == k_tlcreate + 1);
    REQUIRE(Client::walked(c.walk(0, 2, {"f"})) == 1);
    for (const char* name : {"security.capability", "trusted.overlay.opaque",
                             "system.sockprotoname", "user.", "other"})
        CHECK(xattrcreate(c, 2, name, 4).err() == EOPNOTSUPP);
    CHECK(xattrwalk(c, 2, 3, "security.capability").err() == ENODATA);
    CHECK(xattrcreate(c, 2, "user.big", 64 * 1024 + 1).err() == E2BIG);
    CHECK(xattrcreate(c, 2, "user.x", 4, 0x100).err() == EINVAL);

    // Writes must arrive in order and stay within the announced size; a short value is
    // not set.
    REQUIRE(Client::walked(c.walk(2, 4, {})) == 0);
    REQUIRE(xattrcreate(c, 4, "user.x", 4).type() == k_txattrcreate + 1);
    CHECK(c.write(4, 2, "ab").err() == EINVAL);
    CHECK(c.write(4, 0, "abcdef").err() == EINVAL);
    REQUIRE(c.write(4, 0, "ab").type() == k_twrite + 1);
    CHECK(c.fid_op(k_tclunk, 4).err() == EINVAL);
    CHECK(host_xattr(s.path("f"), "user.x") == "<errno " + std::to_string(ENODATA) + ">");

    // Symlinks carry no user xattrs; nothing is set through them on their target.
    REQUIRE(c.symlink(0, "l", "f").type() == k_tsymlink + 1);
    REQUIRE(Client::walked(c.walk(0, 5, {"l"})) == 1);
    CHECK(xattrcreate(c, 5, "user.y", 1).err() == EPERM);
    CHECK(xattrwalk(c, 5, 6, "user.y").err() == ENODATA);

    Share ro(true);
    REQUIRE(::close(::open(ro.path("g").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) == 0);
    REQUIRE(::setxattr(ro.path("g").c_str(), "user.k", "v", 1, 0) == 0);
    Client& rc = *ro.client;
    REQUIRE(Client::walked(rc.walk(0, 1, {"g"})) == 1);
    CHECK(xattrcreate(rc, 1, "user.k", 1).err() == EROFS);
    REQUIRE(xattrwalk(rc, 1, 2, "user.k").type() == k_txattrwalk + 1);
    CHECK(rc.read(2, 0, 10) == "v");
}

TEST_CASE("9p lock: host locks per guest owner, conflicts answered BLOCKED") {
    Share s;
    Client& c = *s.client;
    REQUIRE(Client::walked(c.walk(0, 1, {})) == 0);
    REQUIRE(c.lcreate(1, "f").type() == k_tlcreate + 1);
    REQUIRE(Client::walked(c.walk(0, 2, {"f"})) == 1);
    REQUIRE(c.lopen(2, 0).type() == k_tlopen + 1); // read-only: flock takes write locks so

    CHECK(lock(c, 0, 0, 0, 0).err() == EBADF);                  // fid 0 is not open
    REQUIRE(status(lock(c, 1, 1, 0, 100)) == 0);                // owner 42: write lock 0..99
    CHECK(status(lock(c, 2, 1, 50, 10, 43)) == 1);              // owner 43: conflict
    CHECK(status(lock(c, 2, 1, 50, 10, 42)) == 0);              // owner 42, other fid: its own
    CHECK(status(lock(c, 2, 1, 100, 10, 43)) == 0);             // beyond it: fine
    CHECK(lock(c, 1, 7, 0, 0).err() == EINVAL);                 // bad type
    CHECK(lock(c, 1, 1, uint64_t{1} << 63, 1).err() == EINVAL); // past off_t

    // A host process sees the guest's lock.
    Fd host(::open(s.path("f").c_str(), O_RDWR | O_CLOEXEC));
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_start = 10;
    fl.l_len = 1;
    REQUIRE(::fcntl(host.get(), F_OFD_GETLK, &fl) == 0);
    CHECK(fl.l_type == F_WRLCK);

    // Tgetlock reports the conflict to another owner, not to the holder.
    auto getlock = [&](uint32_t owner) {
        auto& w = c.begin(k_tgetlock);
        w.u32(2);
        w.u8(1);
        w.u64(0);
        w.u64(0);
        w.u32(owner);
        w.str("guest");
        return c.send();
    };
    Reply r = getlock(7);
    REQUIRE(r.type() == k_tgetlock + 1);
    CHECK(r.body()[0] == 1); // F_WRLCK held elsewhere

    // Another owner's whole-file unlock (a child closing an inherited fd) leaves owner
    // 42's lock alone; owner 42's own unlock releases it.
    CHECK(status(lock(c, 2, 2, 0, 0, 44)) == 0);
    CHECK(status(lock(c, 2, 1, 0, 10, 45)) == 1);
    CHECK(status(lock(c, 1, 2, 0, 0, 42)) == 0);
    CHECK(status(lock(c, 2, 1, 50, 10, 45)) == 0);
    REQUIRE(c.fid_op(k_tclunk, 1).type() == k_tclunk + 1);
}

TEST_CASE("9p lock: another process sees a lock taken on a file the guest just created") {
    Share s;
    Client& c = *s.client;
    REQUIRE(Client::walked(c.walk(0, 1, {})) == 0);
    REQUIRE(c.lcreate(1, "mine.txt", 0).type() == k_tlcreate + 1); // O_RDONLY | O_CREAT
    REQUIRE(status(lock(c, 1, 1, 0, 0)) == 0);
    pid_t child = ::fork();
    if (child == 0) {
        int fd = ::open(s.path("mine.txt").c_str(), O_RDWR | O_CLOEXEC);
        struct flock fl {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (fd < 0 || ::fcntl(fd, F_GETLK, &fl) < 0)
            ::_exit(2);
        ::_exit(fl.l_type == F_UNLCK ? 1 : 0);
    }
    int st = 0;
    REQUIRE(::waitpid(child, &st, 0) == child);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("9p lock: clunking the file's last open fid releases every owner's host lock") {
    Share s;
    Client& c = *s.client;
    REQUIRE(Client::walked(c.walk(0, 1, {})) == 0);
    REQUIRE(c.lcreate(1, "f").type() == k_tlcreate + 1);
    REQUIRE(Client::walked(c.walk(0, 2, {"f"})) == 1);
    REQUIRE(c.lopen(2, 0).type() == k_tlopen + 1);
    // flock-style: taken by one process, the final close's unlock comes from another
    REQUIRE(status(lock(c, 1, 1, 0, 0, 42)) == 0);
    REQUIRE(status(lock(c, 1, 2, 0, 0, 50)) == 0);
    auto host_sees_lock = [&] {
        Fd host(::open(s.path("f").c_str(), O_RDWR | O_CLOEXEC));
        struct flock fl {};
        fl.l_type = F_WRLCK;
        return ::fcntl(host.get(), F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    };
    CHECK(host_sees_lock());
    REQUIRE(c.fid_op(k_tclunk, 1).type() == k_tclunk + 1);
    CHECK(host_sees_lock()); // fid 2 still has the file open
    REQUIRE(c.fid_op(k_tclunk, 2).type() == k_tclunk + 1);
    CHECK_FALSE(host_sees_lock());
}
