#include "image/oci_layout.hpp"

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "base/file.hpp"
#include "image/json_depth.hpp"
#include "image/sha256.hpp"

namespace hyper::image {

using nlohmann::json;

namespace {

constexpr size_t k_max_json = 4 << 20;
constexpr const char* k_ref_name = "org.opencontainers.image.ref.name";

#if defined(__aarch64__)
constexpr const char* k_arch = "arm64";
#else
constexpr const char* k_arch = "amd64";
#endif

Unexpected bad(const std::string& why) {
    return fail(ExitCode::BadImage, "OCI image: " + why);
}

Result<json> parse_json(const std::string& text, const std::string& what) {
    if (!json_depth_ok(text))
        return bad(what + " is nested deeper than " + std::to_string(k_max_json_depth) + " levels");
    try {
        return json::parse(text);
    } catch (const json::exception& e) { // parse_error, or out_of_range for 1e400
        return bad(what + " is not valid JSON: " + e.what());
    }
}

std::string blob_path(const std::string& dir, const std::string& digest) {
    return dir + "/blobs/sha256/" + digest.substr(7);
}

// A descriptor's digest and size, checked (the digest names a file under blobs/).
Result<std::pair<std::string, int64_t>> descriptor(const json& d, const std::string& what) {
    if (!d.is_object() || !d.contains("digest") || !d["digest"].is_string())
        return bad(what + ": a descriptor without a digest");
    std::string digest = d["digest"].get<std::string>();
    if (!is_sha256_digest(digest))
        return bad(what + ": digest '" + digest.substr(0, 100) + "' is not sha256:<64 hex digits>");
    int64_t size = -1;
    if (d.contains("size")) {
        if (!d["size"].is_number_integer() || d["size"].get<int64_t>() < 0)
            return bad(what + ": size must be a non-negative integer");
        size = d["size"].get<int64_t>();
    }
    return std::make_pair(digest, size);
}

// A small JSON blob, checked against its digest and size.
Result<json> read_json_blob(const std::string& dir, const json& desc, const std::string& what) {
    auto [digest, size] = TRY(descriptor(desc, what));
    auto bytes = TRY(read_file(blob_path(dir, digest), what.c_str(), k_max_json));
    if (size >= 0 && static_cast<int64_t>(bytes.size()) != size)
        return bad(what + " " + digest + ": " + std::to_string(bytes.size()) +
                   " bytes, the descriptor says " + std::to_string(size));
    Sha256 hash;
    hash.update(bytes);
    if (hash.finish_digest() != digest)
        return bad(what + " " + digest + ": content does not match its digest");
    return parse_json(std::string(bytes.begin(), bytes.end()), what);
}

// obj[key] when it is a string; `fallback` when obj has no such member; nullopt when the
// member is something else (json::value() would throw).
std::optional<std::string> string_member(const json& obj, const char* key, const char* fallback) {
    if (!obj.is_object() || !obj.contains(key))
        return std::string(fallback);
    const json& v = obj[key];
    if (!v.is_string())
        return std::nullopt;
    return v.get<std::string>();
}

bool is_index(const json& j) {
    return j.is_object() && j.contains("manifests");
}

std::string ref_name(const json& desc) {
    if (desc.contains("annotations") && desc["annotations"].is_object() &&
        desc["annotations"].contains(k_ref_name) && desc["annotations"][k_ref_name].is_string())
        return desc["annotations"][k_ref_name].get<std::string>();
    return "";
}

// The descriptor in an index that `tag` names (or the only one).
Result<json> pick_by_tag(const json& index, const std::string& tag, const std::string& dir) {
    if (!index["manifests"].is_array() || index["manifests"].empty())
        return bad(dir + "/index.json lists no images");
    std::string tags;
    for (const auto& d : index["manifests"]) {
        std::string name = ref_name(d);
        if (!tag.empty() && name == tag)
            return d;
        tags += (tags.empty() ? "" : ", ") + (name.empty() ? std::string("(untagged)") : name);
    }
    if (tag.empty() && index["manifests"].size() == 1)
        return index["manifests"][0];
    if (tag.empty())
        return bad(dir + " holds several images; name one as " + dir + ":TAG (tags: " + tags + ")");
    return bad(dir + " has no image tagged '" + tag + "' (tags: " + tags + ")");
}

// The manifest for this host's platform in an image index.
Result<json> pick_platform(const json& index) {
    if (!index["manifests"].is_array())
        return bad("an image index without a manifests array");
    for (const auto& d : index["manifests"]) {
        if (!d.contains("platform")) {
            if (index["manifests"].size() == 1)
                return d;
            continue;
        }
        const json& p = d["platform"];
        if (string_member(p, "os", "") == "linux" && string_member(p, "architecture", "") == k_arch)
            return d;
    }
    return bad(std::string("no linux/") + k_arch + " image in the image index");
}

bool layer_media_type_ok(const std::string& t) {
    return t == "application/vnd.oci.image.layer.v1.tar" ||
           t == "application/vnd.oci.image.layer.v1.tar+gzip" ||
           t == "application/vnd.oci.image.layer.v1.tar+zstd" ||
           t == "application/vnd.oci.image.layer.nondistributable.v1.tar" ||
           t == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
           t == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" ||
           t == "application/vnd.docker.image.rootfs.diff.tar.gzip" ||
           t == "application/vnd.docker.image.rootfs.diff.tar";
}

Result<std::vector<std::string>> string_list(const json& obj, const char* key) {
    std::vector<std::string> out;
    if (!obj.contains(key) || obj[key].is_null())
        return out;
    if (!obj[key].is_array())
        return bad(std::string("config: ") + key + " must be an array of strings");
    for (const auto& s : obj[key]) {
        if (!s.is_string())
            return bad(std::string("config: ") + key + " must be an array of strings");
        out.push_back(s.get<std::string>());
    }
    return out;
}

} // namespace

Result<ImageConfig> parse_oci_config(const std::string& text) {
    json j = TRY(parse_json(text, "the image config"));
    if (!j.is_object())
        return bad("the image config is not a JSON object");
    ImageConfig c;
    c.kind = "oci";
    auto os = string_member(j, "os", "linux");
    if (!os)
        return bad("the image config's os is not a string");
    if (*os != "linux")
        return bad("the image is for os '" + *os + "'; vmm runs linux images");
    auto arch = string_member(j, "architecture", k_arch);
    if (!arch)
        return bad("the image config's architecture is not a string");
    if (*arch != k_arch)
        return bad("the image is for architecture '" + *arch + "'; this host runs " + k_arch);
    if (!j.contains("config") || j["config"].is_null())
        return c;
    const json& cfg = j["config"];
    if (!cfg.is_object())
        return bad("config.config is not an object");
    c.exec = TRY(string_list(cfg, "Entrypoint"));
    c.default_args = TRY(string_list(cfg, "Cmd"));
    c.env = TRY(string_list(cfg, "Env"));
    for (const auto& e : c.env)
        if (e.find('=') == std::string::npos || e[0] == '=')
            return bad("config: Env entry '" + e + "' is not NAME=VALUE");
    if (cfg.contains("WorkingDir") && cfg["WorkingDir"].is_string())
        c.working_dir = cfg["WorkingDir"].get<std::string>();
    if (!c.working_dir.empty() && c.working_dir[0] != '/')
        return bad("config: WorkingDir '" + c.working_dir + "' is not absolute");
    if (cfg.contains("User") && cfg["User"].is_string()) {
        std::string user = cfg["User"].get<std::string>();
        size_t colon = user.find(':');
        c.user = user.substr(0, colon);
        if (colon != std::string::npos)
            c.group = user.substr(colon + 1);
    }
    if (cfg.contains("Volumes") && cfg["Volumes"].is_object()) {
        for (const auto& [path, unused] : cfg["Volumes"].items()) {
            if (path.empty() || path[0] != '/')
                return bad("config: volume '" + path + "' is not an absolute path");
            std::string name = path.substr(path.find_last_of('/') + 1);
            c.mount_points.push_back({name.empty() ? "root" : name, path, false});
        }
    }
    if (cfg.contains("ExposedPorts") && cfg["ExposedPorts"].is_object()) {
        for (const auto& [spec, unused] : cfg["ExposedPorts"].items()) {
            size_t slash = spec.find('/');
            Port p;
            p.name = spec;
            p.protocol = slash == std::string::npos ? "tcp" : spec.substr(slash + 1);
            p.port = static_cast<uint32_t>(std::strtoul(spec.c_str(), nullptr, 10));
            c.ports.push_back(p);
        }
    }
    for (const char* ignored : {"Healthcheck", "StopSignal", "OnBuild", "Shell"})
        if (cfg.contains(ignored) && !cfg[ignored].is_null())
            c.notes.push_back(std::string("config ") + ignored + " is ignored");
    return c;
}

Result<OciImage> open_oci_layout(const std::string& dir, const std::string& tag) {
    auto layout_bytes = TRY(read_file(dir + "/oci-layout", "OCI layout file", 64 << 10));
    json layout =
        TRY(parse_json(std::string(layout_bytes.begin(), layout_bytes.end()), dir + "/oci-layout"));
    if (!layout.is_object() || !layout.contains("imageLayoutVersion") ||
        !layout["imageLayoutVersion"].is_string())
        return bad(dir + "/oci-layout has no imageLayoutVersion");
    auto index_bytes = TRY(read_file(dir + "/index.json", "OCI index", k_max_json));
    json index =
        TRY(parse_json(std::string(index_bytes.begin(), index_bytes.end()), dir + "/index.json"));
    if (!is_index(index))
        return bad(dir + "/index.json has no manifests array");
    json desc = TRY(pick_by_tag(index, tag, dir));
    json manifest = TRY(read_json_blob(dir, desc, "image manifest"));
    for (int depth = 0; is_index(manifest); depth++) {
        if (depth == 4)
            return bad("image indexes nested too deep");
        desc = TRY(pick_platform(manifest));
        manifest = TRY(read_json_blob(dir, desc, "image manifest"));
    }
    if (!manifest.is_object() || !manifest.contains("config") || !manifest.contains("layers") ||
        !manifest["layers"].is_array())
        return bad("the image manifest has no config or no layers array");
    OciImage image;
    json config_json = TRY(read_json_blob(dir, manifest["config"], "image config"));
    image.config = TRY(parse_oci_config(config_json.dump()));
    image.config.digest = TRY(descriptor(desc, "image manifest")).first;
    image.config.name = tag.empty() ? dir : dir + ":" + tag;
    size_t n = 0;
    for (const auto& layer : manifest["layers"]) {
        n++;
        std::string what = "layer " + std::to_string(n);
        auto [digest, size] = TRY(descriptor(layer, what));
        auto media = string_member(layer, "mediaType", "");
        if (!media || !layer_media_type_ok(*media))
            return bad(what + ": media type '" + media.value_or("(not a string)") +
                       "' is not a tar layer vmm can read");
        std::string path = blob_path(dir, digest);
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0)
            return fail_errno(what + " " + path, errno, ExitCode::NoInput);
        if (size >= 0 && st.st_size != size)
            return bad(what + " " + digest + ": " + std::to_string(st.st_size) +
                       " bytes, the manifest says " + std::to_string(size));
        image.layers.push_back({path, "OCI " + what + " (" + digest.substr(0, 19) + ")", digest});
    }
    return image;
}

} // namespace hyper::image
