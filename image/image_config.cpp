#include "image/image_config.hpp"

#include <nlohmann/json.hpp>

#include "image/json_depth.hpp"

namespace hyper::image {

using nlohmann::json;

std::string config_to_json(const ImageConfig& c) {
    json mounts = json::array();
    for (const auto& m : c.mount_points)
        mounts.push_back({{"name", m.name}, {"path", m.path}, {"readOnly", m.read_only}});
    json ports = json::array();
    for (const auto& p : c.ports)
        ports.push_back({{"name", p.name}, {"protocol", p.protocol}, {"port", p.port}});
    json j = {{"kind", c.kind},
              {"name", c.name},
              {"digest", c.digest},
              {"exec", c.exec},
              {"defaultArgs", c.default_args},
              {"env", c.env},
              {"user", c.user},
              {"group", c.group},
              {"supplementaryGIDs", c.supplementary_gids},
              {"workingDirectory", c.working_dir},
              {"mountPoints", mounts},
              {"ports", ports},
              {"notes", c.notes}};
    if (c.memory_mib)
        j["memoryMiB"] = *c.memory_mib;
    if (c.cpus)
        j["cpus"] = *c.cpus;
    // Strings from an image are valid UTF-8 (the JSON parser checks), but the name holds
    // the layout's path and tag from the command line, which need not be: replace what is
    // not rather than throw.
    return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<ImageConfig> config_from_json(const std::string& text) {
    if (!json_depth_ok(text))
        return fail(ExitCode::BadImage, "cached image config: nested too deep");
    try {
        json j = json::parse(text);
        ImageConfig c;
        c.kind = j.at("kind").get<std::string>();
        c.name = j.at("name").get<std::string>();
        c.digest = j.at("digest").get<std::string>();
        c.exec = j.at("exec").get<std::vector<std::string>>();
        c.default_args = j.at("defaultArgs").get<std::vector<std::string>>();
        c.env = j.at("env").get<std::vector<std::string>>();
        c.user = j.at("user").get<std::string>();
        c.group = j.at("group").get<std::string>();
        c.supplementary_gids = j.at("supplementaryGIDs").get<std::vector<uint32_t>>();
        c.working_dir = j.at("workingDirectory").get<std::string>();
        for (const auto& m : j.at("mountPoints"))
            c.mount_points.push_back({m.at("name").get<std::string>(),
                                      m.at("path").get<std::string>(),
                                      m.at("readOnly").get<bool>()});
        for (const auto& p : j.at("ports"))
            c.ports.push_back({p.at("name").get<std::string>(), p.at("protocol").get<std::string>(),
                               p.at("port").get<uint32_t>()});
        c.notes = j.at("notes").get<std::vector<std::string>>();
        if (j.contains("memoryMiB"))
            c.memory_mib = j["memoryMiB"].get<uint64_t>();
        if (j.contains("cpus"))
            c.cpus = j["cpus"].get<uint32_t>();
        return c;
    } catch (const json::exception& e) {
        return fail(ExitCode::BadImage, std::string("cached image config: ") + e.what());
    }
}

namespace {
std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty())
            out += ' ';
        out += json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    return out;
}
} // namespace

std::string describe(const ImageConfig& c) {
    std::string out;
    out += "kind:      " + c.kind + "\n";
    out += "name:      " + c.name + "\n";
    out += "digest:    " + c.digest + "\n";
    out += "exec:      " + join(c.exec) + "\n";
    if (!c.default_args.empty())
        out += "args:      " + join(c.default_args) + "\n";
    out += "user:      ";
    out += c.user.empty() ? std::string("0") : c.user;
    if (!c.group.empty())
        out += ", group " + c.group;
    out += "\n";
    if (!c.supplementary_gids.empty()) {
        out += "groups:   ";
        for (auto g : c.supplementary_gids) {
            out += ' ';
            out += std::to_string(g);
        }
        out += "\n";
    }
    out += "workdir:   " + (c.working_dir.empty() ? std::string("/") : c.working_dir) + "\n";
    for (const auto& e : c.env)
        out += "env:       " + e + "\n";
    for (const auto& m : c.mount_points)
        out +=
            "mount:     " + m.name + " -> " + m.path + (m.read_only ? " (read-only)" : "") + "\n";
    for (const auto& p : c.ports)
        out += "port:      " + p.name + " " + std::to_string(p.port) + "/" + p.protocol + "\n";
    if (c.memory_mib)
        out += "memory:    " + std::to_string(*c.memory_mib) + " MiB\n";
    if (c.cpus)
        out += "cpus:      " + std::to_string(*c.cpus) + "\n";
    for (const auto& n : c.notes)
        out += "note:      " + n + "\n";
    return out;
}

} // namespace hyper::image
