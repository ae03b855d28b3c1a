#include "image/aci_manifest.hpp"

#include <nlohmann/json.hpp>

#include "image/json_depth.hpp"

namespace hyper::image {

using nlohmann::json;

namespace {

Unexpected bad(const std::string& why) {
    return fail(ExitCode::BadImage, "ACI manifest: " + why);
}

bool is_semver(const std::string& v) {
    // MAJOR.MINOR.PATCH with an optional -pre / +build tail
    size_t pos = 0;
    for (int part = 0; part < 3; part++) {
        size_t start = pos;
        while (pos < v.size() && v[pos] >= '0' && v[pos] <= '9')
            pos++;
        if (pos == start)
            return false;
        if (part < 2) {
            if (pos >= v.size() || v[pos] != '.')
                return false;
            pos++;
        }
    }
    return pos == v.size() || v[pos] == '-' || v[pos] == '+';
}

// A required string field of `obj`.
Result<std::string> string_field(const json& obj, const char* key, const std::string& where) {
    if (!obj.contains(key))
        return bad(where + key + " is missing");
    if (!obj[key].is_string())
        return bad(where + key + " must be a string");
    return obj[key].get<std::string>();
}

Result<void> parse_app(const json& app, ImageConfig& c) {
    if (!app.is_object())
        return bad("app must be an object");
    if (app.contains("exec")) {
        const json& exec = app["exec"];
        if (!exec.is_array() || exec.empty())
            return bad("app.exec must be a non-empty array of strings");
        for (const auto& a : exec) {
            if (!a.is_string())
                return bad("app.exec must be a non-empty array of strings");
            c.exec.push_back(a.get<std::string>());
        }
        if (c.exec[0].empty() || c.exec[0][0] != '/')
            return bad("app.exec[0] must be an absolute path, not '" + c.exec[0] + "'");
    }
    c.user = TRY(string_field(app, "user", "app."));
    c.group = TRY(string_field(app, "group", "app."));
    if (c.user.empty() || c.group.empty())
        return bad("app.user and app.group must not be empty");
    if (app.contains("supplementaryGIDs")) {
        if (!app["supplementaryGIDs"].is_array())
            return bad("app.supplementaryGIDs must be an array of numbers");
        for (const auto& g : app["supplementaryGIDs"]) {
            if (!g.is_number_unsigned() || g.get<uint64_t>() > 0xfffffffe)
                return bad("app.supplementaryGIDs must be an array of numbers");
            c.supplementary_gids.push_back(g.get<uint32_t>());
        }
    }
    if (app.contains("workingDirectory")) {
        c.working_dir = TRY(string_field(app, "workingDirectory", "app."));
        if (c.working_dir.empty() || c.working_dir[0] != '/')
            return bad("app.workingDirectory must be an absolute path");
    }
    if (app.contains("environment")) {
        if (!app["environment"].is_array())
            return bad("app.environment must be an array");
        for (const auto& e : app["environment"]) {
            std::string name = TRY(string_field(e, "name", "app.environment[]."));
            std::string value = TRY(string_field(e, "value", "app.environment[]."));
            if (name.empty() || name.find('=') != std::string::npos)
                return bad("app.environment: '" + name + "' is not a variable name");
            c.env.push_back(name + "=" + value);
        }
    }
    if (app.contains("mountPoints")) {
        if (!app["mountPoints"].is_array())
            return bad("app.mountPoints must be an array");
        for (const auto& m : app["mountPoints"]) {
            MountPoint mp;
            mp.name = TRY(string_field(m, "name", "app.mountPoints[]."));
            mp.path = TRY(string_field(m, "path", "app.mountPoints[]."));
            if (!is_ac_name(mp.name))
                return bad("app.mountPoints: '" + mp.name + "' is not an AC Name");
            if (mp.path.empty() || mp.path[0] != '/')
                return bad("app.mountPoints: " + mp.name + ": path must be absolute");
            if (m.contains("readOnly")) {
                if (!m["readOnly"].is_boolean())
                    return bad("app.mountPoints: " + mp.name + ": readOnly must be true or false");
                mp.read_only = m["readOnly"].get<bool>();
            }
            c.mount_points.push_back(mp);
        }
    }
    if (app.contains("ports")) {
        if (!app["ports"].is_array())
            return bad("app.ports must be an array");
        for (const auto& p : app["ports"]) {
            Port port;
            port.name = TRY(string_field(p, "name", "app.ports[]."));
            port.protocol = TRY(string_field(p, "protocol", "app.ports[]."));
            if (!p.contains("port") || !p["port"].is_number_unsigned() ||
                p["port"].get<uint64_t>() < 1 || p["port"].get<uint64_t>() > 65535)
                return bad("app.ports: " + port.name + ": port must be 1-65535");
            port.port = p["port"].get<uint32_t>();
            c.ports.push_back(port);
        }
    }
    if (app.contains("isolators")) {
        if (!app["isolators"].is_array())
            return bad("app.isolators must be an array");
        for (const auto& iso : app["isolators"]) {
            std::string name = TRY(string_field(iso, "name", "app.isolators[]."));
            const json value = iso.contains("value") ? iso["value"] : json();
            if (name == "resource/memory" || name == "resource/cpu") {
                if (!value.is_object() || !value.contains("limit") || !value["limit"].is_string())
                    return bad("isolator " + name + ": value.limit must be a quantity string");
                std::string limit = value["limit"].get<std::string>();
                uint64_t unit = name == "resource/cpu" ? 1 : (1ull << 20);
                auto q = parse_quantity(limit, unit);
                if (!q || *q == 0 || *q > (1ull << 24))
                    return bad("isolator " + name + ": '" + limit + "' is not a usable limit");
                if (name == "resource/cpu")
                    c.cpus = static_cast<uint32_t>(*q);
                else
                    c.memory_mib = *q;
            } else {
                c.notes.push_back("isolator " + name + " is not honoured");
            }
        }
    }
    if (app.contains("eventHandlers") && !app["eventHandlers"].empty())
        c.notes.push_back("app.eventHandlers are not run");
    return {};
}

} // namespace

bool is_ac_name(const std::string& name) {
    auto alnum = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); };
    if (name.empty() || name.size() > 512 || !alnum(name.front()) || !alnum(name.back()))
        return false;
    for (char ch : name)
        if (!alnum(ch) && ch != '-' && ch != '.' && ch != '_' && ch != '~' && ch != '/')
            return false;
    return true;
}

std::optional<uint64_t> parse_quantity(const std::string& text, uint64_t unit) {
    size_t pos = 0;
    uint64_t whole = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (whole > (1ull << 40))
            return std::nullopt;
        whole = whole * 10 + uint64_t(text[pos++] - '0');
    }
    if (pos == 0)
        return std::nullopt;
    std::string suffix = text.substr(pos);
    // value = whole * mul / div, in base units
    uint64_t mul = 1, div = 1;
    if (suffix == "m")
        div = 1000;
    else if (suffix == "k" || suffix == "K")
        mul = 1000;
    else if (suffix == "M")
        mul = 1000000;
    else if (suffix == "G")
        mul = 1000000000;
    else if (suffix == "T")
        mul = 1000000000000;
    else if (suffix == "Ki")
        mul = 1ull << 10;
    else if (suffix == "Mi")
        mul = 1ull << 20;
    else if (suffix == "Gi")
        mul = 1ull << 30;
    else if (suffix == "Ti")
        mul = 1ull << 40;
    else if (!suffix.empty())
        return std::nullopt;
    unsigned __int128 base = (unsigned __int128)whole * mul;
    unsigned __int128 units =
        (base + (unsigned __int128)div * unit - 1) / ((unsigned __int128)div * unit);
    if (units > UINT64_MAX)
        return std::nullopt;
    return static_cast<uint64_t>(units);
}

Result<ImageConfig> parse_aci_manifest(const std::string& text) {
    if (!json_depth_ok(text))
        return bad("nested deeper than " + std::to_string(k_max_json_depth) + " levels");
    json m;
    try {
        m = json::parse(text);
    } catch (const json::exception& e) { // parse_error, or out_of_range for 1e400
        return bad(std::string("not valid JSON: ") + e.what());
    }
    if (!m.is_object())
        return bad("not a JSON object");
    ImageConfig c;
    c.kind = "aci";
    std::string kind = TRY(string_field(m, "acKind", ""));
    if (kind != "ImageManifest")
        return bad("acKind is '" + kind + "', want 'ImageManifest'");
    std::string version = TRY(string_field(m, "acVersion", ""));
    if (!is_semver(version))
        return bad("acVersion '" + version + "' is not a semantic version");
    c.name = TRY(string_field(m, "name", ""));
    if (!is_ac_name(c.name))
        return bad("name '" + c.name + "' is not an AC Name (lowercase, digits, -._~/)");
    if (m.contains("labels")) {
        if (!m["labels"].is_array())
            return bad("labels must be an array");
        for (const auto& l : m["labels"]) {
            std::string name = TRY(string_field(l, "name", "labels[]."));
            std::string value = TRY(string_field(l, "value", "labels[]."));
            if (name == "os" && value != "linux")
                return bad("the image is for os '" + value + "'; vmm runs linux images");
#if defined(__x86_64__)
            if (name == "arch" && value != "amd64")
                return bad("the image is for arch '" + value + "'; this host runs amd64");
#elif defined(__aarch64__)
            if (name == "arch" && value != "aarch64" && value != "arm64")
                return bad("the image is for arch '" + value + "'; this host runs aarch64");
#endif
        }
    }
    if (m.contains("dependencies") && !m["dependencies"].empty())
        return bad("dependencies are not supported: vmm runs self-contained ACIs only "
                   "(flatten the image first)");
    if (m.contains("pathWhitelist") && !m["pathWhitelist"].empty())
        c.notes.push_back("pathWhitelist is ignored");
    if (m.contains("app") && !m["app"].is_null())
        TRY(parse_app(m["app"], c));
    c.notes.push_back("ACI signatures are not verified");
    return c;
}

} // namespace hyper::image
