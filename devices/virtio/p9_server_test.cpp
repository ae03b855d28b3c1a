#include "devices/virtio/p9_server.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include "devices/virtio/p9_test_client.hpp"

using namespace hyper;
using namespace hyper::p9;
using namespace hyper::p9::testing;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_CASE("9p: open errors name the share") {
    virtio::testing::TempDir dir;
    auto missing = Server::open(dir.file("nope"), false);
    REQUIRE(!missing);
    CHECK(missing.error().exit_code() == ExitCode::NoInput);
    CHECK(missing.error().to_string().find("nope") != std::string::npos);
    std::ofstream(dir.file("file")) << "x";
    auto file = Server::open(dir.file("file"), false);
    REQUIRE(!file);
    CHECK(file.error().exit_code() == ExitCode::NoInput);
    CHECK(file.error().to_string().find("not a directory") != std::string::npos);
}

TEST_CASE("9p: version negotiates msize and refuses other protocols") {
    Share s;
    Client& c = *s.client;
    Reply r = c.version(1 << 30);
    REQUIRE(r.type() == k_tversion + 1);
    Reader rd(r.body());
    CHECK(rd.u32() == k_max_msize);
    CHECK(rd.str() == "9P2000.L");
    r = c.version(8192, "9P2000.u");
    Reader rd2(r.body());
    CHECK(rd2.u32() == 8192);
    CHECK(rd2.str() == "unknown");
    CHECK(s.server->fid_count() == 0); // a new session drops every fid
}

TEST_CASE("9p: create, write, read, getattr, readdir") {
    Share s;
    Client& c = *s.client;
    REQUIRE(Client::walked(c.walk(0, 1, {})) == 0);
    Reply r = c.lcreate(1, "hello.txt");
    REQUIRE(r.type() == k_tlcreate + 1);
    REQUIRE(c.write(1, 0, "hello, world").type() == k_twrite + 1);
    CHECK(slurp(s.path("hello.txt")) == "hello, world");
    CHECK(c.read(1, 7, 100) == "world");
    CHECK(c.read(1, 100, 100) == "");
    // A reply limit smaller than the data: the read is clamped, not truncated.
    auto& w = c.begin(k_tread);
    w.u32(1);
    w.u64(0);
    w.u32(100);
    r = c.send(7 + 4 + 5);
    REQUIRE(r.type() == k_tread + 1);
    CHECK(r.raw.size() == 16);

    r = c.getattr(1);
    REQUIRE(r.type() == k_tgetattr + 1);
    Reader g(r.body());
    CHECK(g.u64() == 0x7ff);
    g.bytes(13);
    uint32_t mode = g.u32();
    CHECK(S_ISREG(mode));
    CHECK((mode & 0777) == 0644);
    g.u32();
    g.u32();
    g.u64();
    g.u64();
    CHECK(g.u64() == 12); // size
    CHECK(c.fid_op(k_tclunk, 1).type() == k_tclunk + 1);
    CHECK(c.fid_op(k_tclunk, 1).err() == EBADF);

    REQUIRE(c.name_op(k_tmkdir, 0, "sub").type() == k_tmkdir + 1);
    CHECK(std::filesystem::is_directory(s.path("sub")));
    REQUIRE(Client::walked(c.walk(0, 2, {})) == 0);
    REQUIRE(c.lopen(2, 0).type() == k_tlopen + 1);
    auto names = c.readdir(2, 64); // small: several rounds
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{".", "..", "hello.txt", "sub"});
}

TEST_CASE("9p: rename, unlink, symlink, readlink, link, setattr, statfs") {
    Share s;
    Client& c = *s.client;
    std::ofstream(s.path("a")) << "data";
    REQUIRE(c.name_op(k_tmkdir, 0, "d").type() == k_tmkdir + 1);
    REQUIRE(Client::walked(c.walk(0, 1, {"d"})) == 1);
    CHECK(c.renameat(0, "a", 1, "b").type() == k_trenameat + 1);
    CHECK(slurp(s.path("d/b")) == "data");

    // Trename of a fid.
    REQUIRE(Client::walked(c.walk(1, 2, {"b"})) == 1);
    auto& w = c.begin(k_trename);
    w.u32(2);
    w.u32(0);
    w.str("c");
    CHECK(c.send().type() == k_trename + 1);
    CHECK(slurp(s.path("c")) == "data");

    CHECK(c.symlink(0, "ln", "../../etc/passwd").type() == k_tsymlink + 1);
    REQUIRE(Client::walked(c.walk(0, 3, {"ln"})) == 1);
    Reply r = c.fid_op(k_treadlink, 3);
    REQUIRE(r.type() == k_treadlink + 1);
    Reader rd(r.body());
    CHECK(rd.str() == "../../etc/passwd");
    CHECK(c.fid_op(k_treadlink, 0).err() == EINVAL); // not a symlink

    REQUIRE(Client::walked(c.walk(0, 4, {"c"})) == 1);
    CHECK(c.link(1, 4, "hard").type() == k_tlink + 1);
    struct stat st {};
    REQUIRE(::stat(s.path("d/hard").c_str(), &st) == 0);
    CHECK(st.st_nlink == 2);

    CHECK(c.setattr(4, 0x1, 04755, 0).type() == k_tsetattr + 1); // set-uid dropped
    REQUIRE(::stat(s.path("c").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    CHECK(c.setattr(4, 0x8, 0, 2).type() == k_tsetattr + 1);
    CHECK(slurp(s.path("c")) == "da");
    CHECK(c.setattr(4, 0x20 | 0x100, 0, 0, 1000000).type() == k_tsetattr + 1);
    REQUIRE(::stat(s.path("c").c_str(), &st) == 0);
    CHECK(st.st_mtim.tv_sec == 1000000);
    CHECK(c.setattr(4, 0x10 | 0x20, 0, 0).type() == k_tsetattr + 1); // NOW
    REQUIRE(::stat(s.path("c").c_str(), &st) == 0);
    CHECK(st.st_mtim.tv_sec > 1000000);

    CHECK(c.fid_op(k_tstatfs, 0).type() == k_tstatfs + 1);
    CHECK(c.unlinkat(1, "hard").type() == k_tunlinkat + 1);
    CHECK(!std::filesystem::exists(s.path("d/hard")));
    CHECK(c.unlinkat(0, "d", 0x200).type() == k_tunlinkat + 1);
    CHECK(!std::filesystem::exists(s.path("d")));
    CHECK(c.fid_op(k_tremove, 4).type() == k_tremove + 1);
    CHECK(!std::filesystem::exists(s.path("c")));
    CHECK(c.fid_op(k_tremove, 0).err() == EBUSY); // the root stays
}

TEST_CASE("9p: mknod makes fifos, refuses device nodes") {
    Share s;
    Client& c = *s.client;
    auto mknod = [&](std::string name, uint32_t mode) {
        auto& w = c.begin(k_tmknod);
        w.u32(0);
        w.str(name);
        w.u32(mode);
        w.u32(1);
        w.u32(3);
        w.u32(0);
        return c.send();
    };
    CHECK(mknod("fifo", S_IFIFO | 0600).type() == k_tmknod + 1);
    CHECK(mknod("null", S_IFCHR | 0666).err() == EPERM);
    CHECK(mknod("disk", S_IFBLK | 0666).err() == EPERM);
    CHECK(!std::filesystem::exists(s.path("null")));
    // A fifo cannot be opened for I/O by the server (it would block the device thread).
    REQUIRE(Client::walked(c.walk(0, 1, {"fifo"})) == 1);
    CHECK(c.lopen(1, 0).err() == ENXIO);
}
