#pragma once
// Test helper: a tiny 9P2000.L client that encodes T-messages, feeds them to a Server and
// decodes the replies.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "devices/virtio/p9_server.hpp"
#include "devices/virtio/testing/block_rig.hpp" // TempDir

namespace hyper::p9::testing {

struct Reply {
    std::vector<uint8_t> raw;
    uint8_t type() const { return raw.size() > 4 ? raw[4] : 0; }
    uint16_t tag() const {
        return raw.size() > 6 ? static_cast<uint16_t>(raw[5] | raw[6] << 8) : 0;
    }
    bool is_error() const { return type() == k_rlerror; }
    // The errno of an Rlerror; 0 for any other reply.
    uint32_t err() const {
        if (!is_error())
            return 0;
        Reader r(body());
        return r.u32();
    }
    std::span<const uint8_t> body() const {
        return std::span<const uint8_t>(raw).subspan(std::min<size_t>(raw.size(), 7));
    }
};

class Client {
  public:
    explicit Client(Server& server) : m_server(&server) {}

    // Builds a message: begin(type), fields through w(), then send().
    Writer& begin(uint8_t type) {
        m_w.begin(type, m_tag);
        return m_w;
    }
    Reply send(uint32_t limit = k_max_msize) {
        m_w.finish();
        Reply r{m_server->handle(m_buf, limit)};
        m_tag = static_cast<uint16_t>((m_tag + 1) % 1000);
        return r;
    }
    Reply raw(std::vector<uint8_t> bytes) { return Reply{m_server->handle(bytes, k_max_msize)}; }

    Reply version(uint32_t msize = 65536, std::string v = "9P2000.L") {
        auto& w = begin(k_tversion);
        w.u32(msize);
        w.str(v);
        return send();
    }
    Reply attach(uint32_t fid) {
        auto& w = begin(k_tattach);
        w.u32(fid);
        w.u32(k_no_fid);
        w.str("root");
        w.str("");
        w.u32(0);
        return send();
    }
    Reply walk(uint32_t fid, uint32_t newfid, std::vector<std::string> names) {
        auto& w = begin(k_twalk);
        w.u32(fid);
        w.u32(newfid);
        w.u16(static_cast<uint16_t>(names.size()));
        for (const auto& n : names)
            w.str(n);
        return send();
    }
    // Number of qids of an Rwalk (-1 for an error).
    static int walked(const Reply& r) {
        if (r.type() != k_twalk + 1)
            return -1;
        Reader rd(r.body());
        return rd.u16();
    }
    Reply fid_op(uint8_t type, uint32_t fid) {
        begin(type).u32(fid);
        return send();
    }
    Reply lopen(uint32_t fid, uint32_t flags) {
        auto& w = begin(k_tlopen);
        w.u32(fid);
        w.u32(flags);
        return send();
    }
    Reply lcreate(uint32_t fid, std::string name, uint32_t flags = 2, uint32_t mode = 0644) {
        auto& w = begin(k_tlcreate);
        w.u32(fid);
        w.str(name);
        w.u32(flags);
        w.u32(mode);
        w.u32(0);
        return send();
    }
    Reply write(uint32_t fid, uint64_t offset, std::string data) {
        auto& w = begin(k_twrite);
        w.u32(fid);
        w.u64(offset);
        w.u32(static_cast<uint32_t>(data.size()));
        w.bytes(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
        return send();
    }
    // The data of an Rread (or "<error N>").
    std::string read(uint32_t fid, uint64_t offset, uint32_t count) {
        auto& w = begin(k_tread);
        w.u32(fid);
        w.u64(offset);
        w.u32(count);
        Reply r = send();
        if (r.is_error())
            return "<error " + std::to_string(r.err()) + ">";
        Reader rd(r.body());
        uint32_t n = rd.u32();
        auto b = rd.bytes(n);
        return std::string(b.begin(), b.end());
    }
    Reply name_op(uint8_t type, uint32_t dfid, std::string name, uint32_t mode = 0755) {
        auto& w = begin(type);
        w.u32(dfid);
        w.str(name);
        w.u32(mode);
        w.u32(0);
        return send();
    }
    Reply unlinkat(uint32_t dfid, std::string name, uint32_t flags = 0) {
        auto& w = begin(k_tunlinkat);
        w.u32(dfid);
        w.str(name);
        w.u32(flags);
        return send();
    }
    Reply renameat(uint32_t ofid, std::string oname, uint32_t nfid, std::string nname) {
        auto& w = begin(k_trenameat);
        w.u32(ofid);
        w.str(oname);
        w.u32(nfid);
        w.str(nname);
        return send();
    }
    Reply symlink(uint32_t dfid, std::string name, std::string target) {
        auto& w = begin(k_tsymlink);
        w.u32(dfid);
        w.str(name);
        w.str(target);
        w.u32(0);
        return send();
    }
    Reply link(uint32_t dfid, uint32_t fid, std::string name) {
        auto& w = begin(k_tlink);
        w.u32(dfid);
        w.u32(fid);
        w.str(name);
        return send();
    }
    Reply setattr(uint32_t fid, uint32_t valid, uint32_t mode, uint64_t size, uint64_t mtime = 0) {
        auto& w = begin(k_tsetattr);
        w.u32(fid);
        w.u32(valid);
        w.u32(mode);
        w.u32(0);
        w.u32(0);
        w.u64(size);
        w.u64(0);
        w.u64(0);
        w.u64(mtime);
        w.u64(0);
        return send();
    }
    Reply getattr(uint32_t fid) {
        auto& w = begin(k_tgetattr);
        w.u32(fid);
        w.u64(0x7ff);
        return send();
    }
    // Names from one Treaddir at offset 0.
    std::vector<std::string> readdir(uint32_t fid, uint32_t count = 8192) {
        std::vector<std::string> names;
        uint64_t offset = 0;
        for (int rounds = 0; rounds < 1000; rounds++) {
            auto& w = begin(k_treaddir);
            w.u32(fid);
            w.u64(offset);
            w.u32(count);
            Reply r = send();
            if (r.is_error())
                return {"<error " + std::to_string(r.err()) + ">"};
            Reader rd(r.body());
            uint32_t n = rd.u32();
            if (n == 0)
                break;
            Reader entries(rd.bytes(n));
            while (entries.ok() && entries.remaining() > 0) {
                entries.bytes(13);
                offset = entries.u64();
                entries.u8();
                names.emplace_back(entries.str());
            }
        }
        return names;
    }

  private:
    Server* m_server;
    std::vector<uint8_t> m_buf;
    Writer m_w{m_buf};
    uint16_t m_tag{1};
};

// A server over a fresh temporary directory, version negotiated and fid 0 attached.
struct Share {
    // The share is <tmp>/share; <tmp>/outside holds a file "secret" beyond it.
    explicit Share(bool read_only = false) {
        root = dir.file("share");
        ::mkdir(root.c_str(), 0755);
        ::mkdir(dir.file("outside").c_str(), 0755);
        Fd f(::open(dir.file("outside/secret").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
        (void)!::write(f.get(), "top secret", 10);
        server.emplace(Server::open(root, read_only).value());
        client.emplace(*server);
        REQUIRE(client->version().type() == k_tversion + 1);
        REQUIRE(client->attach(0).type() == k_tattach + 1);
    }
    std::string path(const std::string& rel) const { return root + "/" + rel; }
    virtio::testing::TempDir dir;
    std::string root;
    std::optional<Server> server;
    std::optional<Client> client;
};

} // namespace hyper::p9::testing
