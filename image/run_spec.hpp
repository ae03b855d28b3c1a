#pragma once
// What one run of an image needs besides the image itself, handed to the guest init
// (guest/init/init.c) as the file /.hyper/run in a small cpio of its own that the VMM
// loads after the image's (Linux unpacks concatenated archives in order).
//
// /.hyper/run is a sequence of NUL-terminated strings, KEY then VALUE, repeated:
//   arg VALUE        argv, in order (arg[0] is the program)
//   env NAME=VALUE   the environment, in order
//   user SPEC        a user name, a uid, or an absolute path whose owner is meant
//   group SPEC       a group name or gid; absent: the user's primary group
//   gid N            a supplementary group, repeatable
//   workdir PATH     the working directory (created when missing)
//   hostname NAME
//   ip A.B.C.D/N     eth0's address; gw A.B.C.D its default route
//   volume rw:TAG:PATH / ro:TAG:PATH   a 9p share to mount at PATH
//   stdin console    the app reads the console (else /dev/null)
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace hyper::image {

struct VolumeMount {
    std::string tag;  // the 9p mount tag
    std::string path; // where the guest mounts it
    bool read_only{false};
};

struct RunSpec {
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::string user;
    std::string group;
    std::vector<uint32_t> supplementary_gids;
    std::string working_dir;
    std::string hostname;
    std::string ip; // "A.B.C.D/N"
    std::string gateway;
    std::vector<VolumeMount> volumes;
    bool interactive{false}; // stdin from the console
};

// The bytes of /.hyper/run. Fails (ExitCode::Usage) if a string holds a NUL byte.
Result<std::vector<uint8_t>> encode_run_spec(const RunSpec& spec);

// The cpio with /.hyper/run.
Result<std::vector<uint8_t>> run_spec_cpio(const RunSpec& spec);

// The cpio with the guest init as /.hyper/init.
Result<std::vector<uint8_t>> init_cpio(std::span<const uint8_t> init_binary);

} // namespace hyper::image
