#include "image/rootfs.hpp"

#include <doctest/doctest.h>

#include "image/run_spec.hpp"
#include "image/testing/archives.hpp"

using namespace hyper;
using namespace hyper::image;
using namespace hyper::image::testing;

namespace {

const std::string k_manifest = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"t",)"
                               R"("app":{"exec":["/bin/app"],"user":"0","group":"0"}})";

// Builds the merged cpio of `layers` (tar files); an error, or the cpio's entries.
Result<std::vector<CpioItem>>
merge(LayerFormat format, const std::vector<std::vector<uint8_t>>& tars, RootfsLimits limits = {}) {
    TempDir dir;
    std::vector<Layer> layers;
    for (size_t i = 0; i < tars.size(); i++)
        layers.push_back({dir.write("layer" + std::to_string(i), tars[i]),
                          "layer " + std::to_string(i), std::nullopt});
    RootfsBuilder builder(format, layers, limits);
    TRY(builder.index());
    std::vector<uint8_t> out;
    auto writer = TRY(CpioWriter::to_memory(out));
    TRY(builder.write(*writer));
    return read_cpio(out);
}

std::string error_of(LayerFormat format, const std::vector<std::vector<uint8_t>>& tars,
                     RootfsLimits limits = {}) {
    auto r = merge(format, tars, limits);
    REQUIRE_FALSE(r);
    CHECK(r.error().exit_code() == ExitCode::BadImage);
    return r.error().message();
}

std::vector<uint8_t> aci(std::vector<TarItem> rootfs, Compression c = Compression::None) {
    rootfs.insert(rootfs.begin(), TarItem{"manifest", 'f', k_manifest});
    return make_tar(rootfs, c);
}

} // namespace

TEST_CASE("rootfs: an ACI becomes a cpio of its rootfs/, in every compression") {
    for (auto c : {Compression::None, Compression::Gzip, Compression::Bzip2, Compression::Xz,
                   Compression::Zstd}) {
        auto items =
            merge(LayerFormat::Aci, {aci({{"rootfs", 'd'},
                                          {"rootfs/bin/app", 'f', "#!/bin/sh\n", 0755, 1000, 1000},
                                          {"rootfs/bin/sh", 'l', "/bin/busybox"},
                                          {"rootfs/dev/null", 'c', "", 0666},
                                          {"rootfs/etc", 'd', "", 0700},
                                          {"other-top-level", 'f', "ignored"}},
                                         c)});
        REQUIRE(items);
        const CpioItem* app = find(*items, "bin/app");
        REQUIRE(app);
        CHECK(app->data == "#!/bin/sh\n");
        CHECK(app->mode == (S_IFREG | 0755));
        CHECK(app->uid == 1000);
        REQUIRE(find(*items, "bin")); // the parent the archive left out
        CHECK(find(*items, "bin")->mode == (S_IFDIR | 0755));
        CHECK(find(*items, "bin/sh")->symlink == "/bin/busybox");
        CHECK(S_ISCHR(find(*items, "dev/null")->mode));
        CHECK(find(*items, "etc")->mode == (S_IFDIR | 0700));
        CHECK_FALSE(find(*items, "manifest"));
        CHECK_FALSE(find(*items, "other-top-level"));
        CHECK_FALSE(find(*items, "rootfs"));
    }
}

TEST_CASE("rootfs: hostile ACI entries are refused, naming the entry") {
    CHECK(error_of(LayerFormat::Aci, {aci({{"rootfs/../../etc/passwd", 'f', "x"}})})
              .find("'rootfs/../../etc/passwd'") != std::string::npos);
    CHECK(error_of(LayerFormat::Aci, {aci({{"/etc/passwd", 'f', "x"}})}).find("absolute") !=
          std::string::npos);
    std::string through = error_of(
        LayerFormat::Aci, {aci({{"rootfs/evil", 'l', "/etc"}, {"rootfs/evil/passwd", 'f', "x"}})});
    CHECK(through.find("'evil/passwd'") != std::string::npos);
    CHECK(through.find("symlink 'evil'") != std::string::npos);
    CHECK(error_of(LayerFormat::Aci, {aci({{"rootfs/f", 'f', "x"}, {"rootfs/f/g", 'f', "y"}})})
              .find("not a directory") != std::string::npos);
    RootfsLimits small;
    small.max_bytes = 100;
    CHECK(error_of(LayerFormat::Aci,
                   {aci({{"rootfs/a", 'f', std::string(60, 'a')},
                         {"rootfs/big", 'f', std::string(60, 'b')}})},
                   small)
              .find("'big'") != std::string::npos);
    CHECK(error_of(LayerFormat::Aci, {aci({{"rootfs/l", 'h', "rootfs/missing"}})})
              .find("hard link") != std::string::npos);
    CHECK(error_of(LayerFormat::Aci, {aci({{"rootfs/l", 'h', "../outside"}})}).find("'..'") !=
          std::string::npos);
}

TEST_CASE("rootfs: truncated and corrupt archives are refused") {
    auto tar = aci({{"rootfs/a", 'f', std::string(5000, 'a')}, {"rootfs/b", 'f', "b"}});
    auto cut = tar;
    cut.resize(1536 + 2048); // inside rootfs/a's data
    CHECK(error_of(LayerFormat::Aci, {cut}).find("layer 0") != std::string::npos);
    auto gz = aci({{"rootfs/a", 'f', std::string(5000, 'a')}}, Compression::Gzip);
    for (size_t i = 20; i < gz.size() - 10; i++)
        gz[i] ^= 0x5a;
    error_of(LayerFormat::Aci, {gz});
    error_of(LayerFormat::Aci, {std::vector<uint8_t>(3000, 'z')});
    // damage that still inflates: only the gzip CRC-32 tells
    auto stored = aci({{"rootfs/a", 'f', std::string(5000, 'a')}}, Compression::GzipStored);
    REQUIRE(merge(LayerFormat::Aci, {stored}));
    stored[stored.size() / 2] ^= 0x01;
    CHECK(error_of(LayerFormat::Aci, {stored}).find("corrupt gzip data") != std::string::npos);
    // a header that declares far more data than follows
    auto liar = aci({{"rootfs/huge", 'f', "abc", 0644, 0, 0, int64_t(1) << 40}});
    CHECK(error_of(LayerFormat::Aci, {liar}).find("'huge'") != std::string::npos);
}

TEST_CASE("rootfs: OCI layers apply in order, with whiteouts and opaque directories") {
    auto l1 = make_tar({{"a/", 'd'},
                        {"a/x", 'f', "x1"},
                        {"a/y", 'f', "y1"},
                        {"b/f", 'f', "bf"},
                        {"c/", 'd'},
                        {"c/keep", 'f', "k"},
                        {"d/", 'd'},
                        {"d/inner", 'f', "i"},
                        {"e", 'f', "old"}});
    auto l2 = make_tar({{"a/.wh.x", 'f'}, {".wh.b", 'f'}, {"c/new", 'f', "n"}, {"d", 'f', "file"}});
    auto l3 = make_tar({{"a/.wh..wh..opq", 'f'}, {"a/z", 'f', "z3"}, {"e", 'f', "new"}},
                       Compression::Gzip);
    auto items = merge(LayerFormat::Oci, {l1, l2, l3});
    REQUIRE(items);
    CHECK(find(*items, "a"));
    CHECK_FALSE(find(*items, "a/x")); // whiteout
    CHECK_FALSE(find(*items, "a/y")); // opaque directory
    CHECK(find(*items, "a/z")->data == "z3");
    CHECK_FALSE(find(*items, "b"));
    CHECK_FALSE(find(*items, "b/f"));
    CHECK(find(*items, "c/keep"));
    CHECK(find(*items, "c/new"));
    CHECK(find(*items, "d")->data == "file"); // a file replaced the directory...
    CHECK_FALSE(find(*items, "d/inner"));     // ...and everything under it
    CHECK(find(*items, "e")->data == "new");
    for (const auto& it : *items) {
        CHECK(it.path.find(".wh.") == std::string::npos);
        if (it.path == "e")
            CHECK(it.data == "new"); // the old "e" is not written at all
    }
}

TEST_CASE("rootfs: hard links share an inode the Linux unpacker links") {
    auto items = merge(LayerFormat::Oci, {make_tar({{"bin/busybox", 'f', "BB", 0755},
                                                    {"bin/ls", 'h', "bin/busybox"},
                                                    {"bin/cat", 'h', "bin/busybox"}})});
    REQUIRE(items);
    const CpioItem* bb = find(*items, "bin/busybox");
    const CpioItem* ls = find(*items, "bin/ls");
    REQUIRE(bb);
    REQUIRE(ls);
    CHECK(bb->data == "BB");
    CHECK(bb->nlink >= 2);
    CHECK(ls->ino == bb->ino);
    CHECK(ls->nlink >= 2);
    CHECK(ls->data.empty());
    CHECK(find(*items, "bin/cat")->ino == bb->ino);
    // the linked-to name replaced later: the data is kept under the link's name
    auto moved = merge(LayerFormat::Oci, {make_tar({{"f", 'f', "data"}, {"g", 'h', "f"}}),
                                          make_tar({{"f", 'f', "other"}})});
    REQUIRE(moved);
    CHECK(find(*moved, "g")->data == "data");
    CHECK(find(*moved, "f")->data == "other");
}

TEST_CASE("rootfs: a whiteout naming '..' is refused") {
    CHECK(error_of(LayerFormat::Oci, {make_tar({{"a/.wh...", 'f'}})}).find("whiteout") !=
          std::string::npos);
}

TEST_CASE("run spec: encoded as NUL-separated pairs in a cpio of its own") {
    RunSpec spec;
    spec.argv = {"/bin/app", "--flag", "with space"};
    spec.env = {"A=1"};
    spec.user = "nobody";
    spec.working_dir = "/srv";
    spec.volumes = {{"data", "/data", true}};
    auto bytes = encode_run_spec(spec);
    REQUIRE(bytes);
    std::string text(bytes->begin(), bytes->end());
    static constexpr char k_want[] = "arg\0/bin/app\0arg\0--flag\0arg\0with space\0env\0A=1\0"
                                     "user\0nobody\0workdir\0/srv\0volume\0ro:data:/data\0";
    CHECK(text == std::string(k_want, sizeof k_want - 1));
    auto cpio = run_spec_cpio(spec);
    REQUIRE(cpio);
    CHECK(std::string(cpio->begin(), cpio->begin() + 6) == "070701");
    CHECK(cpio->size() % 4 == 0);
    auto items = read_cpio(*cpio);
    REQUIRE(find(items, ".hyper/run"));
    CHECK(find(items, ".hyper/run")->data == text);
    spec.argv.push_back(std::string("nul\0inside", 10));
    CHECK_FALSE(encode_run_spec(spec));
}
