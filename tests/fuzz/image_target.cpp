// Target "image": what `vmm run IMAGE` does with an untrusted image (image/image.cpp's
// prepare_image and inspect_image: the ACI or OCI layout reader, every digest check, the
// two-pass layer merge into a cpio, the cache), in a scratch directory.
//
// Input: 1 flag byte, then the image.
//   bit 0 clear: an ACI; the rest of the input is the .aci file (a tar, maybe compressed).
//   bit 0 set: an OCI layout; the rest is a list of files, each a little-endian u16 length
//     and the bytes. The first is index.json, the others are blobs, stored under
//     blobs/sha256/ by their digest. In a file, "@N" stands for the digest of file N and
//     "#N" for its size (N one digit, only files after this one: they are filled in from
//     the last file back). oci-layout is always there. bit 1: run the tag "latest".
// Checks: the conversion leaves the cache holding exactly a .cpio and its .json (or, when
// it fails, nothing), creates nothing else anywhere in the scratch directory, and the cpio
// holds only relative, normalised names whose parents came first as directories.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "image/image.hpp"
#include "image/sha256.hpp"
#include "image/testing/archives.hpp"
#include "tests/fuzz/targets.hpp"

namespace fs = std::filesystem;

namespace hyper::fuzz {

namespace {

// <base>/work is the scratch directory; nothing else may appear in <base>.
const fs::path& scratch_base() {
    static const fs::path base = [] {
        std::string root = fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
        std::string name = root + "/hyper-fuzz-image-XXXXXX";
        check(::mkdtemp(name.data()) != nullptr, "image: mkdtemp");
        static std::string path = name;
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(path, ec);
        });
        return fs::path(name);
    }();
    return base;
}

void write_file(const fs::path& path, std::span<const uint8_t> bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    check(out.good(), "image: writing the input");
}

std::string digest_of(std::span<const uint8_t> bytes) {
    image::Sha256 h;
    h.update(bytes);
    return h.finish_digest();
}

// Splits the OCI input into files and fills the @N / #N references in.
std::vector<std::vector<uint8_t>> oci_files(std::span<const uint8_t> in) {
    std::vector<std::vector<uint8_t>> files;
    while (in.size() >= 2 && files.size() < 10) {
        size_t len = std::min<size_t>(in[0] | in[1] << 8, in.size() - 2);
        files.emplace_back(in.begin() + 2, in.begin() + 2 + static_cast<ptrdiff_t>(len));
        in = in.subspan(2 + len);
    }
    for (size_t i = files.size(); i-- > 0;) {
        std::vector<uint8_t> out;
        const auto& f = files[i];
        for (size_t j = 0; j < f.size(); j++) {
            size_t n = j + 1 < f.size() ? size_t(f[j + 1] - '0') : 10;
            if ((f[j] == '@' || f[j] == '#') && n < files.size() && n > i) {
                std::string s = f[j] == '@' ? digest_of(files[n]) : std::to_string(files[n].size());
                out.insert(out.end(), s.begin(), s.end());
                j++;
            } else {
                out.push_back(f[j]);
            }
        }
        files[i] = std::move(out);
    }
    return files;
}

bool normal_name(const std::string& path) {
    if (path.empty() || path.front() == '/' || path.back() == '/')
        return false;
    size_t start = 0;
    for (;;) {
        size_t slash = path.find('/', start);
        std::string part = path.substr(start, slash - start);
        if (part.empty() || part == "." || part == "..")
            return false;
        if (slash == std::string::npos)
            return true;
        start = slash + 1;
    }
}

void check_cpio(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    std::set<std::string> dirs;
    for (const auto& item : image::testing::read_cpio(bytes)) {
        check(normal_name(item.path), "image: a cpio name that is not relative and normalised");
        size_t slash = item.path.rfind('/');
        check(slash == std::string::npos || dirs.count(item.path.substr(0, slash)),
              "image: a cpio entry before its parent directory");
        if (S_ISDIR(item.mode))
            dirs.insert(item.path);
    }
}

std::vector<std::string> tree(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        out.push_back(fs::relative(it->path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

int image(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    const fs::path& base = scratch_base();
    fs::path work = base / "work";
    fs::path cache = work / "cache";
    std::error_code ec;
    fs::remove_all(work, ec);
    fs::create_directories(work);
    std::span<const uint8_t> body(data + 1, size - 1);
    image::ImageRef ref;
    if (data[0] & 1) {
        ref.kind = image::ImageKind::Oci;
        ref.path = (work / "layout").string();
        ref.tag = data[0] & 2 ? "latest" : "";
        auto files = oci_files(body);
        std::string layout = R"({"imageLayoutVersion":"1.0.0"})";
        write_file(work / "layout/oci-layout",
                   std::span(reinterpret_cast<const uint8_t*>(layout.data()), layout.size()));
        if (!files.empty())
            write_file(work / "layout/index.json", files[0]);
        for (size_t i = 1; i < files.size(); i++)
            write_file(work / "layout/blobs/sha256" / digest_of(files[i]).substr(7), files[i]);
    } else {
        ref.kind = image::ImageKind::Aci;
        ref.path = (work / "app.aci").string();
        write_file(ref.path, body);
    }
    std::vector<std::string> before = tree(work);

    image::RootfsLimits limits;
    limits.max_bytes = 4 << 20;
    limits.max_entries = 4096;
    auto prepared = image::prepare_image(ref, cache.string(), limits);
    auto inspected = image::inspect_image(ref);
    if (std::getenv("HYPER_FUZZ_DEBUG")) // why an input was refused, when writing seeds
        std::fprintf(stderr, "prepare: %s\ninspect: %s\n",
                     prepared ? "ok" : prepared.error().to_string().c_str(),
                     inspected ? "ok" : inspected.error().to_string().c_str());
    check(prepared.has_value() == inspected.has_value() || !prepared,
          "image: converted, but inspect refused it");

    std::vector<std::string> after = tree(work);
    std::vector<std::string> expected = before;
    if (prepared) {
        check(!prepared->from_cache, "image: found in an empty cache");
        fs::path cpio = prepared->cpio_path;
        check(cpio.parent_path() == cache, "image: the cpio is outside the cache");
        std::string json = (cache / cpio.stem()).string() + ".json";
        for (const auto& p : {cache, cpio, fs::path(json)})
            expected.push_back(fs::relative(p, work).string());
        check_cpio(cpio.string());
        // A second run finds it in the cache.
        auto again = image::prepare_image(ref, cache.string(), limits);
        check(again && again->from_cache, "image: a converted image is not found in the cache");
    } else if (fs::exists(cache)) {
        expected.push_back("cache");
    }
    std::sort(expected.begin(), expected.end());
    check(after == expected, "image: the conversion left unexpected files behind");
    std::vector<std::string> top;
    for (const auto& e : fs::directory_iterator(base))
        top.push_back(e.path().filename().string());
    check(top == std::vector<std::string>{"work"}, "image: a file appeared beside the scratch dir");
    fs::remove_all(work, ec);
    return 0;
}

} // namespace hyper::fuzz
