// Command-line parsing of `vmm run`: IMAGE first, then vmm's VM options and run's own
// (--volume, --env), then "--" and the app's arguments.
#include <cstdio>
#include <cstring>

#include "image/aci_manifest.hpp"
#include "vmm/run_command.hpp"

namespace hyper {

namespace {

constexpr const char* k_run_help = R"(Usage: vmm run IMAGE [OPTION...] [-- ARG...]

Runs a container image as a microVM and exits with the app's exit code (128+N when
signal N killed it; 82 when the guest stopped without reporting one).

IMAGE    an ACI file (tar, optionally gzip/bzip2/xz), or an OCI image layout directory:
         DIR, DIR:TAG or oci:DIR[:TAG]
ARG...   the app's arguments: appended to an ACI's exec, or in place of an OCI image's Cmd

Options of run itself:
  --volume NAME=HOSTDIR[,readonly=on]   share HOSTDIR (virtio-9p) at the image's mount point
                                        NAME (ACI mountPoints, OCI Volumes by base name), or
                                        at NAME itself when it is an absolute path
  --env NAME=VALUE                      set or override an environment variable
Every vmm option works too (see vmm --help): --kernel (default: $HYPER_KERNEL, else the
kernel guest/kernel/build.sh built), --memory (default: the image's memory isolator, else
256), --cpus, --net tap=NAME,ip=A.B.C.D/N,gw=A.B.C.D, --console, --cmdline, --log-level.
Ctrl-C (or SIGINT) reaches the app as SIGINT; SIGTERM stops the VM (143).

Converted images are cached in ${XDG_CACHE_HOME:-$HOME/.cache}/hyper/images by digest.
Also: vmm image build IMAGE -o OUT.cpio   vmm image inspect IMAGE)";

Result<VolumeRequest> parse_volume(const std::string& text) {
    size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
        return fail(ExitCode::Usage, "--volume " + text + ": want NAME=HOSTDIR[,readonly=on]");
    VolumeRequest v;
    v.name = text.substr(0, eq);
    std::string rest = text.substr(eq + 1);
    size_t comma = rest.find(',');
    v.host_dir = rest.substr(0, comma);
    if (comma != std::string::npos) {
        std::string opt = rest.substr(comma + 1);
        if (opt == "readonly=on" || opt == "ro=on" || opt == "readonly=true")
            v.read_only = true;
        else if (opt != "readonly=off" && opt != "ro=off")
            return fail(ExitCode::Usage,
                        "--volume " + text + ": '" + opt + "' is not readonly=on or readonly=off");
    }
    if (v.host_dir.empty())
        return fail(ExitCode::Usage, "--volume " + text + ": HOSTDIR is empty");
    if (v.name[0] != '/' && !image::is_ac_name(v.name))
        return fail(ExitCode::Usage, "--volume " + text +
                                         ": NAME must be a mount point name "
                                         "(lowercase, digits, -._~/) or an "
                                         "absolute path");
    return v;
}

// "--flag VALUE" or "--flag=VALUE" at argv[i]: the value, advancing i past it.
std::optional<std::string> take_value(const char* flag, int argc, char** argv, int& i) {
    size_t len = std::strlen(flag);
    if (std::strncmp(argv[i], flag, len) != 0)
        return std::nullopt;
    if (argv[i][len] == '=')
        return std::string(argv[i] + len + 1);
    if (argv[i][len] != '\0')
        return std::nullopt;
    if (i + 1 >= argc)
        return std::string(); // reported as empty below
    return std::string(argv[++i]);
}

} // namespace

bool is_run_command(int argc, char** argv) {
    return argc > 1 && std::strcmp(argv[1], "run") == 0;
}

bool is_image_command(int argc, char** argv) {
    return argc > 1 && std::strcmp(argv[1], "image") == 0;
}

Result<std::optional<RunRequest>> parse_run_args(int argc, char** argv) {
    if (argc < 3 || !std::strcmp(argv[2], "--help") || !std::strcmp(argv[2], "-h")) {
        if (argc < 3)
            return fail(ExitCode::Usage,
                        "vmm run: no image (vmm run IMAGE [OPTION...] [-- ARG...])");
        std::printf("%s\n", k_run_help);
        return std::optional<RunRequest>{};
    }
    if (argv[2][0] == '-')
        return fail(ExitCode::Usage, std::string("vmm run: the image comes first, before '") +
                                         argv[2] + "' (vmm run IMAGE [OPTION...] [-- ARG...])");
    RunRequest r;
    r.image = argv[2];
    for (int i = 3; i < argc; i++) {
        if (!std::strcmp(argv[i], "--")) {
            for (int j = i + 1; j < argc; j++)
                r.app_args.push_back(argv[j]);
            break;
        }
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            std::printf("%s\n", k_run_help);
            return std::optional<RunRequest>{};
        }
        if (auto v = take_value("--volume", argc, argv, i)) {
            r.volumes.push_back(TRY(parse_volume(*v)));
        } else if (auto e = take_value("--env", argc, argv, i)) {
            if (e->empty() || e->find('=') == std::string::npos || (*e)[0] == '=')
                return fail(ExitCode::Usage, "--env '" + *e + "': want NAME=VALUE");
            r.env.push_back(*e);
        } else if (!std::strcmp(argv[i], "--initrd") || !std::strncmp(argv[i], "--initrd=", 9)) {
            return fail(ExitCode::Usage, "--initrd: vmm run makes the initramfs from the image");
        } else {
            r.vm_args.push_back(argv[i]);
        }
    }
    return std::optional<RunRequest>{std::move(r)};
}

} // namespace hyper
