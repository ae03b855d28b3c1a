// Target "p9": the 9P2000.L server (devices/virtio/p9_server.*). The input is a sequence of
// T-messages (each as on the wire: size[4] type[1] tag[2] ...; a size that does not fit
// takes the rest) handled by a Server over a scratch share. The share sits in a parent
// directory beside a sentinel file; after every input the sentinel must be unchanged and
// the parent must hold nothing but the two. The share is rebuilt before each input.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio/p9_server.hpp"
#include "tests/fuzz/targets.hpp"

namespace hyper::fuzz {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_sentinel_text = "sentinel: must never change\n";

struct Scratch {
    fs::path parent, share, sentinel;
    Scratch() {
        std::string tmpl = (fs::temp_directory_path() / "hyper-fuzz-p9.XXXXXX").string();
        if (!mkdtemp(tmpl.data()))
            fail("p9: mkdtemp");
        parent = tmpl;
        share = parent / "share";
        sentinel = parent / "sentinel";
        std::ofstream(sentinel) << k_sentinel_text;
        ::chmod(sentinel.c_str(), 0644);
    }
    ~Scratch() {
        std::error_code ec;
        make_removable(parent);
        fs::remove_all(parent, ec);
    }
    // The guest may leave directories without permissions (root ignores them, others not).
    static void make_removable(const fs::path& dir) {
        std::error_code ec;
        ::chmod(dir.c_str(), 0700);
        for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
             it.increment(ec)) {
            if (it->is_directory(ec) && !it->is_symlink(ec))
                make_removable(it->path());
        }
    }
    void reset_share() {
        std::error_code ec;
        if (fs::exists(share, ec)) {
            make_removable(share);
            fs::remove_all(share, ec);
        }
        fs::create_directories(share / "dir" / "sub");
        std::ofstream(share / "file") << "hello\n";
        std::ofstream(share / "dir" / "inner") << "inner\n";
        fs::create_symlink("../sentinel", share / "escape", ec);
        fs::create_symlink("/", share / "root", ec);
    }
    void verify() const {
        std::ifstream in(sentinel);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        check(text == k_sentinel_text, "p9: the sentinel beside the share changed");
        struct stat st {};
        check(::lstat(sentinel.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                  (st.st_mode & 07777) == 0644 && st.st_nlink == 1,
              "p9: the sentinel's mode or links changed");
        std::set<std::string> names;
        std::error_code ec;
        for (auto it = fs::directory_iterator(parent, ec); !ec && it != fs::directory_iterator();
             it.increment(ec))
            names.insert(it->path().filename().string());
        check(names == std::set<std::string>{"sentinel", "share"},
              "p9: something new exists outside the share");
    }
};

uint32_t le32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0] | p[1] << 8 | p[2] << 16) | static_cast<uint32_t>(p[3]) << 24;
}

} // namespace

int p9(const uint8_t* data, size_t size) {
    static Scratch scratch;
    scratch.reset_share();
    {
        auto server = p9::Server::open(scratch.share.string(), false, 64);
        check(server.has_value(), "p9: Server::open");
        size_t pos = 0;
        for (int n = 0; pos < size && n < 256; n++) {
            size_t left = size - pos;
            size_t len = left;
            if (left >= 4) {
                uint32_t field = le32(data + pos);
                if (field >= 4 && field <= left)
                    len = field;
            }
            auto reply = server->handle(std::span(data + pos, len), 64 * 1024);
            check(reply.size() >= 7 && reply.size() <= 64 * 1024, "p9: reply size");
            check(le32(reply.data()) == reply.size(), "p9: reply size field");
            pos += len;
        }
    }
    scratch.verify();
    return 0;
}

} // namespace hyper::fuzz
