#include "image/aci_manifest.hpp"

#include <doctest/doctest.h>

using namespace hyper;
using namespace hyper::image;

namespace {
// The arch label of an image for this host.
#if defined(__aarch64__)
#define HOST_ARCH "arm64"
#else
#define HOST_ARCH "amd64"
#endif
const char* k_good = R"({
  "acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/hello",
  "labels": [{"name": "os", "value": "linux"}, {"name": "arch", "value": ")" HOST_ARCH R"("}],
  "app": {
    "exec": ["/bin/hello", "--greet"], "user": "nobody", "group": "1000",
    "supplementaryGIDs": [10, 20], "workingDirectory": "/srv",
    "environment": [{"name": "GREETING", "value": "hi there"}],
    "mountPoints": [{"name": "data", "path": "/data", "readOnly": true}],
    "ports": [{"name": "http", "protocol": "tcp", "port": 8080}],
    "isolators": [{"name": "resource/memory", "value": {"limit": "300M"}},
                  {"name": "resource/cpu", "value": {"limit": "1500m"}},
                  {"name": "os/linux/capabilities-retain-set", "value": {"set": []}}]
  }
})";

std::string error_of(const std::string& text) {
    auto r = parse_aci_manifest(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().exit_code() == ExitCode::BadImage);
    return r.error().message();
}
} // namespace

TEST_CASE("ACI manifest: every honoured field") {
    auto c = parse_aci_manifest(k_good);
    REQUIRE(c);
    CHECK(c->kind == "aci");
    CHECK(c->name == "example.com/hello");
    CHECK(c->exec == std::vector<std::string>{"/bin/hello", "--greet"});
    CHECK(c->user == "nobody");
    CHECK(c->group == "1000");
    CHECK(c->supplementary_gids == std::vector<uint32_t>{10, 20});
    CHECK(c->working_dir == "/srv");
    CHECK(c->env == std::vector<std::string>{"GREETING=hi there"});
    REQUIRE(c->mount_points.size() == 1);
    CHECK(c->mount_points[0].name == "data");
    CHECK(c->mount_points[0].read_only);
    REQUIRE(c->ports.size() == 1);
    CHECK(c->ports[0].port == 8080);
    CHECK(c->memory_mib == 287); // 300 MB, rounded up to MiB
    CHECK(c->cpus == 2);         // 1.5 CPUs, rounded up
    bool noted = false;
    for (const auto& n : c->notes)
        noted |= n.find("capabilities-retain-set") != std::string::npos;
    CHECK(noted);
    // the cache round trip keeps everything
    auto back = config_from_json(config_to_json(*c));
    REQUIRE(back);
    CHECK(back->exec == c->exec);
    CHECK(back->memory_mib == c->memory_mib);
    CHECK(back->mount_points[0].path == "/data");
}

TEST_CASE("ACI manifest: invalid manifests are refused with the field named") {
    CHECK(error_of("this is not json").find("not valid JSON") != std::string::npos);
    CHECK(error_of("[1,2]").find("not a JSON object") != std::string::npos);
    CHECK(error_of(R"({"acVersion":"0.8.11","name":"a"})").find("acKind") != std::string::npos);
    CHECK(error_of(R"({"acKind":"PodManifest","acVersion":"0.8.11","name":"a"})")
              .find("ImageManifest") != std::string::npos);
    CHECK(error_of(R"({"acKind":"ImageManifest","acVersion":"x","name":"a"})").find("acVersion") !=
          std::string::npos);
    CHECK(error_of(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"Bad Name"})")
              .find("AC Name") != std::string::npos);
    CHECK(error_of(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"a",
                       "dependencies":[{"imageName":"b"}]})")
              .find("dependencies are not supported") != std::string::npos);
    CHECK(error_of(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"a",
                       "app":{"exec":["bin/x"],"user":"0","group":"0"}})")
              .find("absolute") != std::string::npos);
    CHECK(error_of(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"a",
                       "app":{"exec":["/x"],"group":"0"}})")
              .find("app.user") != std::string::npos);
    CHECK(error_of(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"a",
                       "labels":[{"name":"arch","value":"s390x"}]})")
              .find("s390x") != std::string::npos);
    CHECK(error_of(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"a",
                       "app":{"exec":["/x"],"user":"0","group":"0",
                       "isolators":[{"name":"resource/memory","value":{"limit":"lots"}}]}})")
              .find("resource/memory") != std::string::npos);
}

TEST_CASE("ACI manifest: an image without an app is valid") {
    auto c = parse_aci_manifest(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"a"})");
    REQUIRE(c);
    CHECK(c->exec.empty());
}

TEST_CASE("resource quantities") {
    CHECK(parse_quantity("1Gi", 1 << 20) == 1024);
    CHECK(parse_quantity("512M", 1 << 20) == 489);
    CHECK(parse_quantity("2", 1) == 2);
    CHECK(parse_quantity("500m", 1) == 1);
    CHECK(parse_quantity("2500m", 1) == 3);
    CHECK_FALSE(parse_quantity("", 1));
    CHECK_FALSE(parse_quantity("1.5", 1));
    CHECK_FALSE(parse_quantity("5X", 1));
    CHECK_FALSE(parse_quantity("99999999999999999999", 1));
}

TEST_CASE("ACI manifest: JSON nested too deep is refused, not a stack overflow") {
    // nlohmann copies (here: an isolator's value) and dump()s recursively.
    std::string deep = std::string(400000, '[') + std::string(400000, ']');
    std::string text = R"({"acKind":"ImageManifest","acVersion":"0.8.0","name":"a",)"
                       R"("app":{"user":"0","group":"0","isolators":[{"name":"x","value":)" +
                       deep + "}]}}";
    CHECK(error_of(text).find("nested") != std::string::npos);
    // A string full of brackets is not nesting.
    std::string brackets = R"({"acKind":"ImageManifest","acVersion":"0.8.0","name":"a","x":")" +
                           std::string(1000, '[') + R"("})";
    CHECK(parse_aci_manifest(brackets));
}
