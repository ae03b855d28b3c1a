#include "image/oci_layout.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "image/image.hpp"
#include "image/sha256.hpp"
#include "image/testing/archives.hpp"

using namespace hyper;
using namespace hyper::image;
using namespace hyper::image::testing;
using nlohmann::json;

namespace {

// The architecture of an image for this host.
#if defined(__aarch64__)
constexpr const char* k_host_arch = "arm64";
#else
constexpr const char* k_host_arch = "amd64";
#endif

std::string digest(const std::vector<uint8_t>& bytes) {
    Sha256 h;
    h.update(bytes);
    return h.finish_digest();
}

// Writes a blob; returns its descriptor.
json blob(const TempDir& dir, const std::string& media, const std::vector<uint8_t>& bytes) {
    std::string d = digest(bytes);
    dir.write("blobs/sha256/" + d.substr(7), bytes);
    return {{"mediaType", media}, {"digest", d}, {"size", bytes.size()}};
}

std::vector<uint8_t> bytes_of(const std::string& s) {
    return {s.begin(), s.end()};
}

// An OCI layout with one image tagged `tag`: two layers, a config with the given fields.
void make_layout(const TempDir& dir, const std::string& tag, json config_fields) {
    dir.write("oci-layout", std::string(R"({"imageLayoutVersion":"1.0.0"})"));
    json layers = json::array();
    layers.push_back(blob(dir, "application/vnd.oci.image.layer.v1.tar+gzip",
                          make_tar({{"bin/", 'd'}, {"bin/app", 'f', "v1", 0755}, {"old", 'f', "o"}},
                                   Compression::Gzip)));
    layers.push_back(
        blob(dir, "application/vnd.oci.image.layer.v1.tar+zstd",
             make_tar({{"bin/app", 'f', "v2", 0755}, {".wh.old", 'f'}}, Compression::Zstd)));
    json config = {{"architecture", k_host_arch}, {"os", "linux"}, {"config", config_fields}};
    json manifest = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
        {"config", blob(dir, "application/vnd.oci.image.config.v1+json", bytes_of(config.dump()))},
        {"layers", layers}};
    json desc = blob(dir, "application/vnd.oci.image.manifest.v1+json", bytes_of(manifest.dump()));
    desc["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
    json index = {{"schemaVersion", 2}, {"manifests", json::array({desc})}};
    dir.write("index.json", index.dump());
}

size_t files_in(const std::string& dir) {
    size_t n = 0;
    if (std::filesystem::exists(dir))
        for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir))
            n++;
    return n;
}

} // namespace

TEST_CASE("OCI layout: config fields, layers, and a cache the second run only reads") {
    TempDir dir, cache;
    make_layout(dir, "v1",
                {{"Entrypoint", {"/bin/app"}},
                 {"Cmd", {"--default"}},
                 {"Env", {"PATH=/bin", "X=y"}},
                 {"WorkingDir", "/work"},
                 {"User", "1000:1000"},
                 {"Volumes", {{"/data", json::object()}}}});
    auto image = open_oci_layout(dir.path(), "v1");
    REQUIRE(image);
    CHECK(image->config.exec == std::vector<std::string>{"/bin/app"});
    CHECK(image->config.default_args == std::vector<std::string>{"--default"});
    CHECK(image->config.env.size() == 2);
    CHECK(image->config.working_dir == "/work");
    CHECK(image->config.user == "1000");
    CHECK(image->config.group == "1000");
    REQUIRE(image->config.mount_points.size() == 1);
    CHECK(image->config.mount_points[0].name == "data");
    CHECK(image->layers.size() == 2);
    CHECK(is_sha256_digest(image->config.digest));

    auto ref = parse_image_ref(dir.path() + ":v1");
    REQUIRE(ref);
    CHECK(ref->kind == ImageKind::Oci);
    CHECK(ref->tag == "v1");
    auto first = prepare_image(*ref, cache.path() + "/images");
    REQUIRE(first);
    CHECK_FALSE(first->from_cache);
    auto items = read_cpio(read_all(first->cpio_path));
    CHECK(find(items, "bin/app")->data == "v2");
    CHECK_FALSE(find(items, "old"));
    auto second = prepare_image(*ref, cache.path() + "/images");
    REQUIRE(second);
    CHECK(second->from_cache);
    CHECK(second->cpio_path == first->cpio_path);
    CHECK(second->config.exec == first->config.exec);
    CHECK(files_in(cache.path() + "/images") == 2); // <hex>.cpio and <hex>.json, no temp files
}

TEST_CASE("OCI layout: tags, digests and sizes are checked") {
    TempDir dir;
    make_layout(dir, "v1", json::object());
    auto wrong_tag = open_oci_layout(dir.path(), "v2");
    REQUIRE_FALSE(wrong_tag);
    CHECK(wrong_tag.error().message().find("tags: v1") != std::string::npos);
    CHECK(open_oci_layout(dir.path(), "")); // the only image

    // a digest that would name a file outside blobs/
    auto index = json::parse(read_all(dir.path() + "/index.json"));
    index["manifests"][0]["digest"] = "sha256:../../../../etc/passwd";
    dir.write("index.json", index.dump());
    auto escape = open_oci_layout(dir.path(), "v1");
    REQUIRE_FALSE(escape);
    CHECK(escape.error().exit_code() == ExitCode::BadImage);
    CHECK(escape.error().message().find("not sha256") != std::string::npos);

    // a manifest blob whose bytes do not match its digest
    TempDir dir2;
    make_layout(dir2, "v1", json::object());
    auto index2 = json::parse(read_all(dir2.path() + "/index.json"));
    std::string d = index2["manifests"][0]["digest"];
    std::string path = dir2.path() + "/blobs/sha256/" + d.substr(7);
    auto bytes = read_all(path);
    bytes[bytes.size() / 2] ^= 1;
    dir2.write("blobs/sha256/" + d.substr(7), bytes);
    auto tampered = open_oci_layout(dir2.path(), "v1");
    REQUIRE_FALSE(tampered);
    CHECK(tampered.error().message().find("digest") != std::string::npos);
}

TEST_CASE("OCI layout: a corrupt layer leaves nothing in the cache") {
    TempDir dir, cache;
    make_layout(dir, "v1", json::object());
    auto image = open_oci_layout(dir.path(), "v1");
    REQUIRE(image);
    // replace the second layer's bytes (same size, wrong content)
    auto bytes = read_all(image->layers[1].path);
    for (auto& b : bytes)
        b ^= 0xff;
    dir.write("blobs/sha256/" + image->layers[1].digest->substr(7), bytes);
    auto ref = parse_image_ref(dir.path() + ":v1");
    REQUIRE(ref);
    auto r = prepare_image(*ref, cache.path() + "/images");
    REQUIRE_FALSE(r);
    CHECK(r.error().exit_code() == ExitCode::BadImage);
    CHECK(r.error().message().find("layer 2") != std::string::npos);
    CHECK(files_in(cache.path() + "/images") == 0);
}

TEST_CASE("OCI config: non-JSON and foreign platforms are refused") {
    CHECK_FALSE(parse_oci_config("{nope"));
    CHECK_FALSE(parse_oci_config(R"({"os":"windows"})"));
    CHECK_FALSE(parse_oci_config(R"({"os":"linux","architecture":"riscv64"})"));
    CHECK_FALSE(parse_oci_config(R"({"config":{"Env":["NOEQUALS"]}})"));
    // Members of the wrong type are refused (json::value() would have thrown).
    CHECK_FALSE(parse_oci_config(R"({"os":1})"));
    CHECK_FALSE(parse_oci_config(R"({"os":"linux","architecture":["amd64"]})"));
    CHECK(parse_oci_config(std::string(R"({"os":"linux","architecture":")") + k_host_arch +
                           R"(","config":null})"));
}

TEST_CASE("image refs: files are ACIs, directories OCI layouts") {
    TempDir dir;
    std::string file = dir.write("app.aci", std::string("x"));
    auto aci = parse_image_ref(file);
    REQUIRE(aci);
    CHECK(aci->kind == ImageKind::Aci);
    auto oci = parse_image_ref("oci:" + dir.path() + ":latest");
    REQUIRE(oci);
    CHECK(oci->kind == ImageKind::Oci);
    CHECK(oci->tag == "latest");
    auto missing = parse_image_ref(dir.path() + "/nothing");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().exit_code() == ExitCode::NoInput);
}
