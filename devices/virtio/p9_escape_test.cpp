// The 9P server must never reach outside its share, and must survive hostile messages.
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio/p9_server.hpp"
#include "devices/virtio/p9_test_client.hpp"

using namespace hyper;
using namespace hyper::p9;
using namespace hyper::p9::testing;

namespace {

// The inode a walk's last qid names.
uint64_t last_qid_path(const Reply& r) {
    Reader rd(r.body());
    uint16_t n = rd.u16();
    uint64_t path = 0;
    for (uint16_t i = 0; i < n; i++) {
        rd.u8();
        rd.u32();
        path = rd.u64();
    }
    return path;
}

uint64_t inode(const std::string& path) {
    struct stat st {};
    ::lstat(path.c_str(), &st);
    return st.st_ino;
}

} // namespace

TEST_CASE("9p escape: '..' from the root stays at the root") {
    Share s;
    Client& c = *s.client;
    Reply r = c.walk(0, 1, {"..", "..", ".."});
    REQUIRE(Client::walked(r) == 3);
    CHECK(last_qid_path(r) == inode(s.root));
    CHECK(Client::walked(c.walk(1, 2, {"outside"})) == -1);
    REQUIRE(c.name_op(k_tmkdir, 0, "a").type() == k_tmkdir + 1);
    r = c.walk(0, 3, {"a", "..", "..", "a"});
    REQUIRE(Client::walked(r) == 4);
    CHECK(last_qid_path(r) == inode(s.path("a")));
}

TEST_CASE("9p escape: symlinks are never followed by the server") {
    Share s;
    Client& c = *s.client;
    std::string outside = s.dir.file("outside");
    REQUIRE(::symlink(outside.c_str(), s.path("abs").c_str()) == 0);
    REQUIRE(::symlink("../outside", s.path("rel").c_str()) == 0);
    REQUIRE(::symlink("../../../../etc", s.path("etc").c_str()) == 0);
    for (std::string link : {"abs", "rel", "etc"}) {
        CAPTURE(link);
        // Walking onto the link gives the link itself ...
        Reply r = c.walk(0, 1, {link});
        REQUIRE(Client::walked(r) == 1);
        CHECK(last_qid_path(r) == inode(s.path(link)));
        CHECK(c.lopen(1, 0).err() == ELOOP);
        CHECK(c.fid_op(k_tclunk, 1).type() == k_tclunk + 1);
        // ... walking through it goes nowhere.
        CHECK(Client::walked(c.walk(0, 2, {link, "secret"})) == 1); // partial: no newfid
        CHECK(s.server->fid_count() == 1);
        // Creating through it is refused.
        REQUIRE(Client::walked(c.walk(0, 3, {link})) == 1);
        CHECK(c.lcreate(3, "x").err() == ENOTDIR);
        CHECK(c.name_op(k_tmkdir, 3, "x").is_error());
        CHECK(c.fid_op(k_tclunk, 3).type() == k_tclunk + 1);
    }
    CHECK(!std::filesystem::exists(s.dir.file("outside/x")));
    // A dangling symlink as the target of a create: O_CREAT does not follow it.
    REQUIRE(::symlink((outside + "/new").c_str(), s.path("dangling").c_str()) == 0);
    CHECK(c.lcreate(0, "dangling").is_error());
    CHECK(!std::filesystem::exists(s.dir.file("outside/new")));
}

TEST_CASE("9p escape: a directory swapped for a symlink between walks") {
    Share s;
    Client& c = *s.client;
    std::string dir = s.path("d");
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    REQUIRE(Client::walked(c.walk(0, 1, {"d"})) == 1);
    // The host (or a racing guest request) replaces d with a link to the outside.
    REQUIRE(::rename(dir.c_str(), s.path("old").c_str()) == 0);
    REQUIRE(::symlink(s.dir.file("outside").c_str(), dir.c_str()) == 0);
    // The old fid still names the moved directory, not the outside.
    CHECK(Client::walked(c.walk(1, 2, {"secret"})) == -1);
    // A fresh walk through d is refused.
    CHECK(Client::walked(c.walk(0, 3, {"d", "secret"})) == 1);
    // '..' from the fid re-walks from the root: still beneath it.
    Reply r = c.walk(1, 4, {".."});
    REQUIRE(Client::walked(r) == 1);
    CHECK(last_qid_path(r) == inode(s.root));
    CHECK(c.lcreate(1, "inside").type() == k_tlcreate + 1);
    CHECK(std::filesystem::exists(s.path("old/inside")));
    CHECK(!std::filesystem::exists(s.dir.file("outside/inside")));
}

TEST_CASE("9p escape: bad names") {
    Share s;
    Client& c = *s.client;
    std::string long_name(256, 'a');
    CHECK(c.walk(0, 1, {long_name}).err() == ENAMETOOLONG);
    CHECK(c.lcreate(0, long_name).err() == ENAMETOOLONG);
    for (std::string bad :
         std::vector<std::string>{"a/b", "../outside", "/etc", "", ".", std::string("a\0b", 3)}) {
        CAPTURE(bad);
        CHECK(c.walk(0, 1, {bad}).is_error());
        CHECK(c.lcreate(0, bad).is_error());
        CHECK(c.name_op(k_tmkdir, 0, bad).is_error());
        CHECK(c.symlink(0, bad, "x").is_error());
        CHECK(c.unlinkat(0, bad).is_error());
        CHECK(c.renameat(0, "x", 0, bad).is_error());
    }
    CHECK(c.unlinkat(0, "..", 0x200).is_error());
    CHECK(std::filesystem::exists(s.dir.file("outside/secret")));
    CHECK(s.server->fid_count() == 1);
    // Link names are confined too; the source fid can only be inside.
    CHECK(c.link(0, 0, "x").is_error()); // a directory
    CHECK(c.link(0, 77, "x").err() == EBADF);
}

TEST_CASE("9p escape: a read-only share refuses every change") {
    Share s(true);
    Client& c = *s.client;
    { std::ofstream(s.path("f")) << "keep"; }
    REQUIRE(::mkdir(s.path("d").c_str(), 0755) == 0);
    REQUIRE(Client::walked(c.walk(0, 1, {"f"})) == 1);
    CHECK(c.lopen(1, 2).err() == EROFS);
    CHECK(c.lopen(1, 01000).err() == EROFS); // O_TRUNC
    REQUIRE(c.lopen(1, 0).type() == k_tlopen + 1);
    CHECK(c.read(1, 0, 10) == "keep");
    CHECK(c.write(1, 0, "x").err() == EROFS);
    CHECK(c.lcreate(0, "new").err() == EROFS);
    CHECK(c.name_op(k_tmkdir, 0, "new").err() == EROFS);
    CHECK(c.symlink(0, "new", "f").err() == EROFS);
    CHECK(c.link(0, 1, "new").err() == EROFS);
    CHECK(c.unlinkat(0, "f").err() == EROFS);
    CHECK(c.unlinkat(0, "d", 0x200).err() == EROFS);
    CHECK(c.renameat(0, "f", 0, "g").err() == EROFS);
    CHECK(c.setattr(1, 0x1, 0777, 0).err() == EROFS);
    CHECK(c.setattr(1, 0x8, 0, 0).err() == EROFS);
    CHECK(c.fid_op(k_tremove, 1).err() == EROFS);
    CHECK(std::filesystem::exists(s.path("f")));
    CHECK(!std::filesystem::exists(s.path("new")));
}

TEST_CASE("9p hostile: malformed messages get an error, never a crash") {
    Share s;
    Client& c = *s.client;
    auto is_err = [](const Reply& r) { return r.is_error(); };
    CHECK(is_err(c.raw({})));
    CHECK(is_err(c.raw({1, 2, 3})));
    // Size shorter than the header, and longer than the bytes there.
    CHECK(is_err(c.raw({3, 0, 0, 0, k_tclunk, 1, 0})));
    CHECK(c.raw({99, 0, 0, 0, k_tclunk, 1, 0, 0, 0, 0, 0}).err() == EPROTO);
    // A clunk without its fid.
    CHECK(c.raw({7, 0, 0, 0, k_tclunk, 1, 0}).err() == EPROTO);
    // Unknown type, and an R-type sent as a request.
    CHECK(c.raw({7, 0, 0, 0, 200, 5, 0}).is_error());
    CHECK(c.raw({7, 0, 0, 0, k_tclunk + 1, 5, 0}).is_error());
    CHECK(c.raw({7, 0, 0, 0, 200, 5, 0}).tag() == 5);
    // A string longer than the message.
    CHECK(c.raw({13, 0, 0, 0, k_twalk, 1, 0, 0, 0, 0, 0, 1, 0}).err() == EPROTO);
    std::vector<uint8_t> walk = {19, 0, 0, 0, k_twalk, 1, 0, 0,    0,   0,
                                 0,  1, 0, 0, 0,       1, 0, 0xff, 0x7f};
    CHECK(c.raw(walk).err() == EPROTO);
    // Too many walk elements, a write whose count runs past the end.
    auto& w = c.begin(k_twalk);
    w.u32(0);
    w.u32(1);
    w.u16(17);
    CHECK(c.send().err() == EINVAL);
    auto& wr = c.begin(k_twrite);
    wr.u32(0);
    wr.u64(0);
    wr.u32(1000);
    wr.u8(1);
    CHECK(c.send().err() == EPROTO);
    // Every message type, truncated at every length: always an error reply.
    for (int type = 0; type < 256; type += 2) {
        for (uint32_t len = 7; len < 24; len++) {
            std::vector<uint8_t> m(len, 0xff);
            m[0] = static_cast<uint8_t>(len);
            m[1] = m[2] = m[3] = 0;
            m[4] = static_cast<uint8_t>(type);
            Reply r = c.raw(m);
            CHECK(r.raw.size() >= 7);
            CHECK(r.raw.size() <= k_max_msize);
        }
    }
    CHECK(std::filesystem::exists(s.dir.file("outside/secret")));
}

TEST_CASE("9p: the fid table is bounded") {
    Share s;
    s.server.emplace(Server::open(s.root, false, 100).value());
    Client c(*s.server);
    REQUIRE(c.version().type() == k_tversion + 1);
    REQUIRE(c.attach(0).type() == k_tattach + 1);
    for (uint32_t fid = 1; fid < 100; fid++)
        REQUIRE(Client::walked(c.walk(0, fid, {})) == 0);
    CHECK(s.server->fid_count() == 100);
    CHECK(c.attach(1000).err() == EMFILE);
    CHECK(c.walk(0, 999999, {}).err() == EMFILE);
    CHECK(Client::walked(c.walk(0, 5, {})) == -1); // in use
    CHECK(c.fid_op(k_tclunk, 5).type() == k_tclunk + 1);
    CHECK(Client::walked(c.walk(0, 999999, {})) == 0);
}
