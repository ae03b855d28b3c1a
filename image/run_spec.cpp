#include "image/run_spec.hpp"

#include "image/cpio_writer.hpp"

namespace hyper::image {

Result<std::vector<uint8_t>> encode_run_spec(const RunSpec& spec) {
    std::vector<uint8_t> out;
    std::string bad_key;
    auto put = [&](const char* key, const std::string& value) {
        if (value.find('\0') != std::string::npos)
            bad_key = key;
        out.insert(out.end(), key, key + std::char_traits<char>::length(key) + 1);
        out.insert(out.end(), value.c_str(), value.c_str() + value.size() + 1);
    };
    for (const auto& a : spec.argv)
        put("arg", a);
    for (const auto& e : spec.env)
        put("env", e);
    if (!spec.user.empty())
        put("user", spec.user);
    if (!spec.group.empty())
        put("group", spec.group);
    for (uint32_t g : spec.supplementary_gids)
        put("gid", std::to_string(g));
    if (!spec.working_dir.empty())
        put("workdir", spec.working_dir);
    if (!spec.hostname.empty())
        put("hostname", spec.hostname);
    if (!spec.ip.empty())
        put("ip", spec.ip);
    if (!spec.gateway.empty())
        put("gw", spec.gateway);
    for (const auto& v : spec.volumes)
        put("volume", std::string(v.read_only ? "ro:" : "rw:") + v.tag + ":" + v.path);
    if (spec.interactive)
        put("stdin", "console");
    if (!bad_key.empty())
        return fail(ExitCode::Usage, "a NUL byte in the app's " + bad_key);
    return out;
}

Result<std::vector<uint8_t>> run_spec_cpio(const RunSpec& spec) {
    auto bytes = TRY(encode_run_spec(spec));
    std::vector<uint8_t> out;
    auto w = TRY(CpioWriter::to_memory(out));
    TRY(w->directory(".hyper", 0755));
    TRY(w->file(".hyper/run", 0600, bytes));
    TRY(w->close());
    return out;
}

Result<std::vector<uint8_t>> init_cpio(std::span<const uint8_t> init_binary) {
    std::vector<uint8_t> out;
    auto w = TRY(CpioWriter::to_memory(out));
    TRY(w->directory(".hyper", 0755));
    TRY(w->file(".hyper/init", 0755, init_binary));
    TRY(w->close());
    return out;
}

} // namespace hyper::image
