// `vmm run` and `vmm image`: from a container image to a VM configuration.
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "base/log.hpp"
#include "guest/init/embedded.hpp"
#include "image/image.hpp"
#include "vmm/cli.hpp"
#include "vmm/run_command.hpp"

namespace hyper {

namespace {

// The run's kernel command line unless --cmdline says otherwise: quiet, so that the
// console carries the app's output alone.
constexpr const char* k_run_cmdline = "console=ttyS0 quiet panic=-1";
constexpr const char* k_rdinit = " rdinit=/.hyper/init";

#if defined(__x86_64__)
constexpr const char* k_arch = "x86_64";
constexpr const char* k_kernel_file = "bzImage";
#else
constexpr const char* k_arch = "aarch64";
constexpr const char* k_kernel_file = "Image";
#endif

bool has_flag(const std::vector<std::string>& args, const std::string& flag) {
    for (const auto& a : args)
        if (a == flag || a.rfind(flag + "=", 0) == 0)
            return true;
    return false;
}

// The image's name as a host name: its last path part, lowercase letters, digits and '-'.
std::string hostname_for(const std::string& name) {
    std::string base = name.substr(name.find_last_of('/') + 1); // npos + 1 == 0
    std::string out;
    for (char c : base) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out += c;
        else if (c >= 'A' && c <= 'Z')
            out += static_cast<char>(c - 'A' + 'a');
        else if (!out.empty() && out.back() != '-')
            out += '-';
        if (out.size() == 63)
            break;
    }
    while (!out.empty() && out.back() == '-')
        out.pop_back();
    return out.empty() ? "hyper" : out;
}

void set_env(std::vector<std::string>& env, const std::string& entry) {
    std::string name = entry.substr(0, entry.find('=') + 1);
    for (auto& e : env)
        if (e.rfind(name, 0) == 0) {
            e = entry;
            return;
        }
    env.push_back(entry);
}

// The initramfs pieces after the image: the guest init, then the run's spec.
Result<std::vector<std::vector<uint8_t>>> run_pieces(const image::RunSpec& spec) {
    std::vector<std::vector<uint8_t>> pieces;
    pieces.push_back(TRY(image::init_cpio(guest_init_binary())));
    pieces.push_back(TRY(image::run_spec_cpio(spec)));
    return pieces;
}

Result<image::PreparedImage> prepare(const std::string& text) {
    auto ref = TRY(image::parse_image_ref(text));
    auto cache = TRY(image::default_cache_dir());
    auto prepared = TRY(image::prepare_image(ref, cache));
    for (const auto& note : prepared.config.notes)
        LOG_INFO("image: %s", note.c_str());
    return prepared;
}

} // namespace

Result<std::string> default_kernel() {
    if (const char* env = std::getenv("HYPER_KERNEL"); env && *env)
        return std::string(env);
    std::string root;
    if (const char* c = std::getenv("HYPER_CACHE"); c && *c)
        root = c;
    else if (const char* home = std::getenv("HOME"); home && *home)
        root = std::string(home) + "/.cache/hyper";
    std::string best;
    struct timespec best_time {};
    std::string prefix = std::string("kernel-") + k_arch + "-";
    if (DIR* dir = root.empty() ? nullptr : ::opendir(root.c_str())) {
        while (dirent* e = ::readdir(dir)) {
            if (std::string(e->d_name).rfind(prefix, 0) != 0)
                continue;
            std::string candidate = root + "/" + e->d_name + "/" + k_kernel_file;
            struct stat st {};
            if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            if (best.empty() || st.st_mtim.tv_sec > best_time.tv_sec ||
                (st.st_mtim.tv_sec == best_time.tv_sec && st.st_mtim.tv_nsec > best_time.tv_nsec)) {
                best = candidate;
                best_time = st.st_mtim;
            }
        }
        ::closedir(dir);
    }
    if (best.empty())
        return fail(ExitCode::NoInput,
                    "no kernel: give --kernel FILE, set HYPER_KERNEL, or build the project's "
                    "kernel with guest/kernel/build.sh (looked in " +
                        (root.empty() ? std::string("$HOME/.cache/hyper") : root) + ")");
    LOG_INFO("kernel: %s", best.c_str());
    return best;
}

Result<image::RunSpec> make_run_spec(const image::ImageConfig& img, const RunRequest& request,
                                     VmConfig& vm) {
    image::RunSpec spec;
    spec.argv = img.exec;
    const auto& args = request.app_args.empty() ? img.default_args : request.app_args;
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    if (spec.argv.empty())
        return fail(ExitCode::Usage, "image " + img.name +
                                         " names no program to run (no app.exec, Entrypoint or "
                                         "Cmd): give one after --");
    spec.env = img.env;
    for (const auto& e : request.env)
        set_env(spec.env, e);
    spec.user = img.user;
    spec.group = img.group;
    spec.supplementary_gids = img.supplementary_gids;
    spec.working_dir = img.working_dir;
    spec.hostname = hostname_for(img.name);
    if (vm.net) {
        spec.ip = vm.net->ip;
        spec.gateway = vm.net->gateway;
    }
    spec.interactive = vm.console.kind == ConsoleConfig::Kind::Stdio && ::isatty(0);
    for (size_t i = 0; i < request.volumes.size(); i++) {
        const auto& v = request.volumes[i];
        image::VolumeMount mount{v.name, v.name, v.read_only};
        if (v.name[0] == '/') {
            mount.tag = "vol" + std::to_string(i);
        } else {
            const image::MountPoint* mp = nullptr;
            std::string known;
            for (const auto& m : img.mount_points) {
                if (m.name == v.name)
                    mp = &m;
                known += (known.empty() ? "" : ", ") + m.name;
            }
            if (!mp)
                return fail(ExitCode::Usage, "--volume " + v.name +
                                                 ": the image has no mount point '" + v.name +
                                                 "' (it has: " + (known.empty() ? "none" : known) +
                                                 "; an absolute path works too)");
            mount.path = mp->path;
            mount.read_only = v.read_only || mp->read_only;
        }
        if (mount.tag.size() > 64)
            mount.tag = "vol" + std::to_string(i);
        vm.shares.push_back(ShareConfig{v.host_dir, mount.tag, mount.read_only});
        spec.volumes.push_back(mount);
    }
    for (const auto& m : img.mount_points) {
        bool given = false;
        for (const auto& v : spec.volumes)
            given |= v.path == m.path;
        if (!given)
            LOG_INFO("mount point %s (%s) has no --volume: it stays a directory of the image",
                     m.name.c_str(), m.path.c_str());
    }
    return spec;
}

Result<std::optional<VmConfig>> prepare_run(int argc, char** argv) {
    auto request = TRY(parse_run_args(argc, argv));
    if (!request)
        return std::optional<VmConfig>{};
    std::vector<std::string> args = {"vmm"};
    if (!has_flag(request->vm_args, "--kernel")) {
        args.push_back("--kernel");
        args.push_back(TRY(default_kernel()));
    }
    if (!has_flag(request->vm_args, "--cmdline")) {
        args.push_back("--cmdline");
        args.push_back(k_run_cmdline);
    }
    args.insert(args.end(), request->vm_args.begin(), request->vm_args.end());
    std::vector<char*> argv2;
    for (auto& a : args)
        argv2.push_back(a.data());
    argv2.push_back(nullptr);
    auto config = TRY(parse_command_line(static_cast<int>(args.size()), argv2.data()));
    if (!config)
        return config; // --version
    set_log_level(config->log_level);

    auto prepared = TRY(prepare(request->image));
    const auto& img = prepared.config;
    if (!has_flag(request->vm_args, "--memory") && img.memory_mib)
        config->memory_mib = std::max<uint64_t>(*img.memory_mib, 32);
    if (!has_flag(request->vm_args, "--cpus") && img.cpus)
        config->cpus = std::min<uint32_t>(*img.cpus, 254);
    auto spec = TRY(make_run_spec(img, *request, *config));
    config->initrd = prepared.cpio_path;
    config->initrd_extra = TRY(run_pieces(spec));
    config->cmdline += k_rdinit;
    config->run_mode = true;
    return config;
}

namespace {

Result<int> image_build(const std::string& text, const std::string& out) {
    auto prepared = TRY(prepare(text));
    RunRequest none;
    VmConfig vm;
    vm.console.kind = ConsoleConfig::Kind::None;
    auto spec = make_run_spec(prepared.config, none, vm);
    std::vector<std::vector<uint8_t>> pieces;
    if (spec)
        pieces = TRY(run_pieces(*spec));
    else // nothing to run by default: the init alone, give a /.hyper/run later
        pieces.push_back(TRY(image::init_cpio(guest_init_binary())));
    std::string tmp = out + ".tmp";
    Fd dst(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    Fd src(::open(prepared.cpio_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!dst.valid())
        return fail_errno(tmp, errno, ExitCode::CantCreate);
    if (!src.valid())
        return fail_errno(prepared.cpio_path, errno, ExitCode::NoInput);
    std::vector<uint8_t> buf(1 << 20);
    uint64_t written = 0;
    auto put = [&](const uint8_t* p, size_t n) -> Result<void> {
        if (::write(dst.get(), p, n) != static_cast<ssize_t>(n)) {
            ::unlink(tmp.c_str());
            return fail_errno("writing " + tmp, errno, ExitCode::CantCreate);
        }
        written += n;
        return {};
    };
    for (ssize_t n; (n = ::read(src.get(), buf.data(), buf.size())) > 0;)
        TRY(put(buf.data(), static_cast<size_t>(n)));
    for (const auto& piece : pieces) {
        static const uint8_t zeros[4] = {};
        TRY(put(zeros, (4 - written % 4) % 4));
        TRY(put(piece.data(), piece.size()));
    }
    if (::rename(tmp.c_str(), out.c_str()) != 0)
        return fail_errno("renaming into " + out, errno, ExitCode::CantCreate);
    std::fprintf(stderr,
                 "vmm: %s: %llu bytes (%s); boot it with --initrd %s --cmdline "
                 "\"console=ttyS0 rdinit=/.hyper/init\"\n",
                 out.c_str(), (unsigned long long)written,
                 prepared.from_cache ? "image from the cache" : "image converted", out.c_str());
    return 0;
}

} // namespace

Result<int> run_image_command(int argc, char** argv) {
    constexpr const char* k_usage = "usage: vmm image build IMAGE -o OUT | vmm image inspect IMAGE";
    std::vector<std::string> args(argv + 2, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        if (args.empty())
            return fail(ExitCode::Usage, k_usage);
        std::printf("%s\n", k_usage);
        return 0;
    }
    for (size_t i = 1; i < args.size(); i++)
        if (args[i] == "--log-level" && i + 1 < args.size()) {
            if (args[i + 1] == "info" || args[i + 1] == "debug")
                set_log_level(args[i + 1] == "info" ? LogLevel::Info : LogLevel::Debug);
            args.erase(args.begin() + static_cast<ptrdiff_t>(i),
                       args.begin() + static_cast<ptrdiff_t>(i) + 2);
            break;
        }
    if (args[0] == "inspect" && args.size() == 2) {
        auto ref = TRY(image::parse_image_ref(args[1]));
        auto config = TRY(image::inspect_image(ref));
        std::printf("%s", image::describe(config).c_str());
        return 0;
    }
    if (args[0] == "build" && args.size() == 4 && (args[2] == "-o" || args[2] == "--output"))
        return image_build(args[1], args[3]);
    if (args[0] == "build" && args.size() == 4 && (args[1] == "-o" || args[1] == "--output"))
        return image_build(args[3], args[2]);
    return fail(ExitCode::Usage, k_usage);
}

} // namespace hyper
