#pragma once
// `vmm run IMAGE [OPTION...] [-- ARG...]` and `vmm image build|inspect IMAGE`: container
// images (image/) turned into a VM configuration. The VM options are the plain vmm
// options (vmm/cli.cpp parses them); --volume and --env are run's own.
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "image/image_config.hpp"
#include "image/run_spec.hpp"
#include "vmm/config.hpp"

namespace hyper {

bool is_run_command(int argc, char** argv);   // argv[1] == "run"
bool is_image_command(int argc, char** argv); // argv[1] == "image"

struct VolumeRequest {
    std::string name; // a mount point of the image, or an absolute guest path
    std::string host_dir;
    bool read_only{false};
};

struct RunRequest {
    std::string image;
    std::vector<std::string> vm_args;  // handed to parse_command_line
    std::vector<std::string> app_args; // after "--"
    std::vector<VolumeRequest> volumes;
    std::vector<std::string> env; // NAME=VALUE
};

// nullopt: --help was printed.
Result<std::optional<RunRequest>> parse_run_args(int argc, char** argv);

// The kernel `vmm run` boots without --kernel: $HYPER_KERNEL, else the newest bzImage that
// guest/kernel/build.sh left in ${HYPER_CACHE:-$HOME/.cache/hyper}/kernel-<arch>-*/.
Result<std::string> default_kernel();

// The run's /.hyper/run from the image's config, the request and the VM config; adds a
// --share to `vm` for each volume.
Result<image::RunSpec> make_run_spec(const image::ImageConfig& image, const RunRequest& request,
                                     VmConfig& vm);

// `vmm run ...` as a VM configuration (image converted or found in the cache); nullopt
// when --help was printed.
Result<std::optional<VmConfig>> prepare_run(int argc, char** argv);

// `vmm image build IMAGE -o OUT` and `vmm image inspect IMAGE`; returns the exit code.
Result<int> run_image_command(int argc, char** argv);

} // namespace hyper
