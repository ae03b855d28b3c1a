#pragma once
// What an image asks of the VM that runs it, read from an ACI manifest or an OCI image
// config, in one form. Saved next to the cached initramfs, so a cached run reads no
// manifest again.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace hyper::image {

struct MountPoint {
    std::string name; // what --volume NAME=... refers to
    std::string path; // absolute path in the guest
    bool read_only{false};
};

struct Port {
    std::string name;
    std::string protocol;
    uint32_t port{0};
};

struct ImageConfig {
    std::string kind;   // "aci" or "oci"
    std::string name;   // ACI name, or the OCI reference
    std::string digest; // "sha256:...", the cache key
    // argv = exec + (run arguments, or default_args when there are none)
    std::vector<std::string> exec;         // ACI app.exec, OCI Entrypoint
    std::vector<std::string> default_args; // OCI Cmd
    std::vector<std::string> env;          // "NAME=VALUE"
    std::string user;                      // a name, a number, or (ACI) an absolute path
    std::string group;                     // empty: the user's primary group
    std::vector<uint32_t> supplementary_gids;
    std::string working_dir; // empty: /
    std::vector<MountPoint> mount_points;
    std::vector<Port> ports;
    std::optional<uint64_t> memory_mib; // ACI resource/memory limit
    std::optional<uint32_t> cpus;       // ACI resource/cpu limit
    std::vector<std::string> notes;     // what the image asks that vmm does not honour
};

std::string config_to_json(const ImageConfig& config);
Result<ImageConfig> config_from_json(const std::string& text);

// A summary for `vmm image inspect`, several lines.
std::string describe(const ImageConfig& config);

} // namespace hyper::image
