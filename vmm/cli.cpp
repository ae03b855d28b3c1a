#include "vmm/cli.hpp"

#include <charconv>
#include <cstdio>
// --disk values hold commas: no splitting of repeated options into lists.
#define CXXOPTS_VECTOR_DELIMITER '\0'
#include <cxxopts.hpp>

#ifndef HYPER_VERSION
#define HYPER_VERSION "dev"
#endif

namespace hyper {

namespace {

constexpr size_t k_max_disks = 16;

constexpr const char* k_examples = R"(Examples:
  vmm --kernel bzImage --initrd initramfs.cpio.gz
  vmm --kernel vmlinux --initrd init.cpio.gz --cpus 2 --memory 512 --cmdline "console=ttyS0 quiet"
  vmm --kernel bzImage --initrd init.cpio.gz --console file:guest.log
  vmm --kernel bzImage --cmdline "console=ttyS0 root=/dev/vda" --disk path=rootfs.ext4 \
      --disk path=data.img,readonly=on,serial=data0
  vmm run app.aci -- --flag-for-the-app       (a container image as a VM: vmm run --help)
  vmm image build app.aci -o app.cpio         vmm image inspect oci-dir:tag

Exit codes: 0 guest rebooted or powered off; 64 bad flag or value; 65 kernel, initrd,
disk image or container image not valid; 66 file missing or unreadable, disk image in
use, no /dev/net/tun or TAP in use; 69 no /dev/kvm; 70 internal error; 71 the host cannot
give the memory or threads asked for; 72 KVM lacks a needed capability; 73 console file,
vsock socket or image cache cannot be created; 77 no permission on /dev/kvm or the TAP;
80 guest kernel panic; 81 guest crashed (KVM internal error); 82 vmm run: the guest
stopped without reporting the app's exit status; 143 stopped by SIGTERM/SIGINT/SIGHUP or
Ctrl-A x. vmm run exits with the app's own exit code (128+N when signal N killed it).)";

template <typename T> Result<T> parse_number(const std::string& flag, const std::string& text) {
    T value{};
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || text.empty())
        return fail(ExitCode::Usage, "--" + flag + ": '" + text + "' is not a valid number");
    return value;
}

Result<ConsoleConfig> parse_console(const std::string& text) {
    if (text == "stdio")
        return ConsoleConfig{ConsoleConfig::Kind::Stdio, {}};
    if (text == "none")
        return ConsoleConfig{ConsoleConfig::Kind::None, {}};
    if (text.rfind("file:", 0) == 0 && text.size() > 5)
        return ConsoleConfig{ConsoleConfig::Kind::File, text.substr(5)};
    return fail(ExitCode::Usage, "--console: '" + text + "' is not one of stdio, file:PATH, none");
}

// Splits "k1=v1,k2=v2" and hands each pair to `take`, which returns an error text or "".
template <typename Take>
Result<void> for_each_pair(const char* flag, const std::string& text, Take take) {
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find(',', pos);
        if (end == std::string::npos)
            end = text.size();
        std::string item = text.substr(pos, end - pos);
        size_t eq = item.find('=');
        if (eq == std::string::npos)
            return fail(ExitCode::Usage,
                        std::string(flag) + " " + text + ": '" + item + "' is not KEY=VALUE");
        std::string why = take(item.substr(0, eq), item.substr(eq + 1));
        if (!why.empty())
            return fail(ExitCode::Usage, std::string(flag) + " " + text + ": " + why);
        pos = end + 1;
    }
    return {};
}

// "path=FILE[,readonly=on|off][,serial=ID][,cache=none|writeback]"
Result<DiskConfig> parse_disk(const std::string& text) {
    DiskConfig disk;
    TRY(for_each_pair("--disk", text,
                      [&](const std::string& key, const std::string& value) -> std::string {
                          if (key == "path") {
                              if (value.empty())
                                  return "path is empty";
                              disk.path = value;
                          } else if (key == "readonly" || key == "ro") {
                              if (value == "on" || value == "true" || value == "1")
                                  disk.read_only = true;
                              else if (value == "off" || value == "false" || value == "0")
                                  disk.read_only = false;
                              else
                                  return "readonly must be on or off";
                          } else if (key == "serial") {
                              if (value.size() > 20)
                                  return "serial is longer than 20 bytes";
                              disk.serial = value;
                          } else if (key == "cache") {
                              if (value == "none")
                                  disk.direct = true;
                              else if (value == "writeback")
                                  disk.direct = false;
                              else
                                  return "cache must be none or writeback";
                          } else {
                              return "unknown key '" + key + "' (path, readonly, serial, cache)";
                          }
                          return "";
                      }));
    if (disk.path.empty())
        return fail(ExitCode::Usage, "--disk " + text + ": path=FILE is required");
    return disk;
}

// Dotted quad check (each part 0-255).
bool is_ipv4(const std::string& text) {
    int parts = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find('.', pos);
        if (end == std::string::npos)
            end = text.size();
        std::string part = text.substr(pos, end - pos);
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || part.size() > 3 || ec != std::errc() ||
            ptr != part.data() + part.size() || value > 255)
            return false;
        parts++;
        pos = end + 1;
    }
    return parts == 4;
}

// "tap=NAME[,mac=52:54:00:12:34:56][,ip=10.0.0.2/24][,gw=10.0.0.1]"
Result<NetConfig> parse_net(const std::string& text) {
    NetConfig net;
    TRY(for_each_pair(
        "--net", text, [&](const std::string& key, const std::string& value) -> std::string {
            if (key == "tap") {
                if (value.empty() || value.size() > 15)
                    return "tap must be an interface name of 1-15 characters";
                net.tap = value;
            } else if (key == "mac") {
                std::array<uint8_t, 6> mac{};
                unsigned b[6];
                char tail;
                if (std::sscanf(value.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
                                &b[3], &b[4], &b[5], &tail) != 6 ||
                    value.size() != 17)
                    return "mac must look like 52:54:00:12:34:56";
                for (int i = 0; i < 6; i++)
                    mac[i] = static_cast<uint8_t>(b[i]);
                if (mac[0] & 1)
                    return "mac must be a unicast address (first byte even)";
                net.mac = mac;
            } else if (key == "ip") {
                size_t slash = value.find('/');
                std::string addr = value.substr(0, slash);
                unsigned prefix = 24;
                if (slash != std::string::npos) {
                    std::string p = value.substr(slash + 1);
                    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
                    if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() ||
                        prefix < 1 || prefix > 32)
                        return "ip prefix must be 1-32";
                }
                if (!is_ipv4(addr))
                    return "ip must be an IPv4 address A.B.C.D[/N]";
                net.ip = addr + "/" + std::to_string(prefix);
            } else if (key == "gw") {
                if (!is_ipv4(value))
                    return "gw must be an IPv4 address";
                net.gateway = value;
            } else {
                return "unknown key '" + key + "' (tap, mac, ip, gw)";
            }
            return "";
        }));
    if (net.tap.empty())
        return fail(ExitCode::Usage, "--net " + text + ": tap=NAME is required");
    if (!net.gateway.empty() && net.ip.empty())
        return fail(ExitCode::Usage, "--net " + text + ": gw= needs ip=");
    return net;
}

// "path=DIR,tag=TAG[,readonly=on]"
Result<ShareConfig> parse_share(const std::string& text) {
    ShareConfig share;
    TRY(for_each_pair("--share", text,
                      [&](const std::string& key, const std::string& value) -> std::string {
                          if (key == "path") {
                              if (value.empty())
                                  return "path is empty";
                              share.path = value;
                          } else if (key == "tag") {
                              if (value.empty() || value.size() > 64)
                                  return "tag must be 1-64 characters";
                              share.tag = value;
                          } else if (key == "readonly" || key == "ro") {
                              if (value == "on" || value == "true" || value == "1")
                                  share.read_only = true;
                              else if (value == "off" || value == "false" || value == "0")
                                  share.read_only = false;
                              else
                                  return "readonly must be on or off";
                          } else {
                              return "unknown key '" + key + "' (path, tag, readonly)";
                          }
                          return "";
                      }));
    if (share.path.empty() || share.tag.empty())
        return fail(ExitCode::Usage, "--share " + text + ": path=DIR and tag=TAG are required");
    return share;
}

// "cid=N,uds=PATH"
Result<VsockConfig> parse_vsock(const std::string& text) {
    VsockConfig vsock;
    bool have_cid = false;
    TRY(for_each_pair(
        "--vsock", text, [&](const std::string& key, const std::string& value) -> std::string {
            if (key == "cid") {
                auto [ptr, ec] =
                    std::from_chars(value.data(), value.data() + value.size(), vsock.cid);
                if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() ||
                    vsock.cid < 3 || vsock.cid > 0xfffffffe)
                    return "cid must be a number from 3 to 4294967294";
                have_cid = true;
            } else if (key == "uds") {
                if (value.empty() || value.size() > 100)
                    return "uds must be a socket path of 1-100 characters";
                vsock.uds = value;
            } else {
                return "unknown key '" + key + "' (cid, uds)";
            }
            return "";
        }));
    if (!have_cid || vsock.uds.empty())
        return fail(ExitCode::Usage, "--vsock " + text + ": cid=N and uds=PATH are required");
    return vsock;
}

Result<LogLevel> parse_log_level(const std::string& text) {
    if (text == "error")
        return LogLevel::Error;
    if (text == "warn" || text == "warning")
        return LogLevel::Warn;
    if (text == "info")
        return LogLevel::Info;
    if (text == "debug")
        return LogLevel::Debug;
    return fail(ExitCode::Usage,
                "--log-level: '" + text + "' is not one of error, warn, info, debug");
}

} // namespace

Result<std::optional<VmConfig>> parse_command_line(int argc, char** argv) {
    cxxopts::Options options("vmm", "hyper: boots one Linux microVM on KVM and exits with "
                                    "the guest's result.");
    options.custom_help("--kernel FILE [OPTION...]");
    options.set_width(100);
    // Numbers are taken as strings and parsed here, so errors name the flag.
    // clang-format off
    options.add_options()
        ("kernel", "guest kernel: a bzImage or an uncompressed vmlinux (ELF, PVH entry) on "
                   "x86_64, an arm64 Image on aarch64",
         cxxopts::value<std::string>(), "FILE")
        ("initrd", "initramfs (cpio, optionally compressed) given to the kernel",
         cxxopts::value<std::string>(), "FILE")
        ("cmdline", std::string("kernel command line (default \"") + k_default_cmdline +
                        "\"); vmm appends \"" + k_platform_cmdline_x86_64 +
                        "\" on x86_64, \"" + k_platform_cmdline_aarch64 + "\" on aarch64",
         cxxopts::value<std::string>(), "TEXT")
        ("cpus", "number of vCPUs (1-254)", cxxopts::value<std::string>()->default_value("1"),
         "N")
        ("memory", "guest RAM in MiB (32 or more)",
         cxxopts::value<std::string>()->default_value("256"), "MIB")
        ("disk", "a virtio-blk disk, repeatable (/dev/vda, /dev/vdb, ...): "
                 "path=FILE[,readonly=on][,serial=ID][,cache=none]",
         cxxopts::value<std::vector<std::string>>(), "SPEC")
        ("net", "a virtio-net NIC (eth0) on a TAP: "
                "tap=NAME[,mac=MAC][,ip=A.B.C.D/N][,gw=A.B.C.D]",
         cxxopts::value<std::string>(), "SPEC")
        ("vsock", "a virtio-vsock device: cid=N,uds=PATH (host side on Unix sockets)",
         cxxopts::value<std::string>(), "SPEC")
        ("share", "a host directory shared over virtio-9p, repeatable: "
                  "path=DIR,tag=TAG[,readonly=on]",
         cxxopts::value<std::vector<std::string>>(), "SPEC")
        ("console", "where the guest's serial console goes: stdio, file:PATH or none",
         cxxopts::value<std::string>()->default_value("stdio"), "WHERE")
        ("acpi", "on: describe the machine with ACPI tables too (for kernels with "
                 "CONFIG_ACPI, such as distribution kernels); off: MP table only "
                 "(x86_64; aarch64 has a device tree and ignores it)",
         cxxopts::value<std::string>()->default_value("on"), "on|off")
        ("log-level", "error, warn, info or debug",
         cxxopts::value<std::string>()->default_value("warn"), "LEVEL")
        ("seccomp", "per-thread syscall filters: kill (a syscall off the list kills vmm), "
                    "log (the kernel logs it) or off (debugging only)",
         cxxopts::value<std::string>()->default_value("kill"), "MODE")
        ("jail", "confine vmm: new namespaces, DIR as its root holding only what the VM "
                 "needs, no inherited fds, no_new_privs, rlimits",
         cxxopts::value<std::string>(), "DIR")
        ("uid", "with --jail: run the VM as this user id", cxxopts::value<std::string>(), "N")
        ("gid", "with --jail: run the VM as this group id (default: the uid)",
         cxxopts::value<std::string>(), "N")
        ("stats", "print vmm's own memory use (RSS less guest RAM) as a JSON line on stderr "
                  "when the VM stops and on SIGUSR2")
        ("boot-timer", "print the boot timeline (microseconds from vmm's start to "
                       "set-up, kernel load, first KVM_RUN, the guest's marks and exit) as "
                       "a JSON line on stderr when vmm exits, or into FILE",
         cxxopts::value<std::string>()->implicit_value(""), "[=FILE]")
        ("version", "print the version and exit")
        ("h,help", "print this help and exit");
    // clang-format on

    cxxopts::ParseResult args;
    try {
        args = options.parse(argc, argv);
    } catch (const cxxopts::exceptions::exception& e) {
        return fail(ExitCode::Usage, e.what());
    }
    if (args.count("help")) {
        std::printf("%s\n%s\n", options.help().c_str(), k_examples);
        return std::optional<VmConfig>{};
    }
    if (args.count("version")) {
        std::printf("vmm %s\n", HYPER_VERSION);
        return std::optional<VmConfig>{};
    }
    if (!args.unmatched().empty())
        return fail(ExitCode::Usage, "unexpected argument '" + args.unmatched().front() + "'");
    if (!args.count("kernel"))
        return fail(ExitCode::Usage, "--kernel is required (see vmm --help)");

    VmConfig config;
    config.kernel = args["kernel"].as<std::string>();
    if (args.count("initrd"))
        config.initrd = args["initrd"].as<std::string>();
    config.cmdline = args.count("cmdline") ? args["cmdline"].as<std::string>() : k_default_cmdline;
    config.cpus = TRY(parse_number<uint32_t>("cpus", args["cpus"].as<std::string>()));
    if (config.cpus < 1 || config.cpus > 254)
        return fail(ExitCode::Usage, "--cpus: must be between 1 and 254");
    config.memory_mib = TRY(parse_number<uint64_t>("memory", args["memory"].as<std::string>()));
    if (config.memory_mib < 32)
        return fail(ExitCode::Usage, "--memory: must be at least 32 MiB");
    if (config.memory_mib > (uint64_t(1) << 24)) // 16 TiB
        return fail(ExitCode::Usage, "--memory: " + std::to_string(config.memory_mib) +
                                         " MiB is more than vmm supports");
    config.console = TRY(parse_console(args["console"].as<std::string>()));
    if (args.count("disk")) {
        for (const auto& spec : args["disk"].as<std::vector<std::string>>())
            config.disks.push_back(TRY(parse_disk(spec)));
        if (config.disks.size() > k_max_disks)
            return fail(ExitCode::Usage,
                        "--disk: at most " + std::to_string(k_max_disks) + " disks");
    }
    if (args.count("net"))
        config.net = TRY(parse_net(args["net"].as<std::string>()));
    if (args.count("share"))
        for (const auto& spec : args["share"].as<std::vector<std::string>>())
            config.shares.push_back(TRY(parse_share(spec)));
    if (args.count("vsock"))
        config.vsock = TRY(parse_vsock(args["vsock"].as<std::string>()));
    auto acpi = args["acpi"].as<std::string>();
    if (acpi != "on" && acpi != "off")
        return fail(ExitCode::Usage, "--acpi: '" + acpi + "' is not one of on, off");
    config.acpi = acpi == "on";
    config.log_level = TRY(parse_log_level(args["log-level"].as<std::string>()));
    auto seccomp = sandbox::parse_seccomp_mode(args["seccomp"].as<std::string>());
    if (!seccomp)
        return fail(ExitCode::Usage, "--seccomp: '" + args["seccomp"].as<std::string>() +
                                         "' is not one of kill, log, off");
    config.seccomp = *seccomp;
    config.stats = args.count("stats") > 0;
    if (args.count("boot-timer")) {
        config.boot_timer = args["boot-timer"].as<std::string>();
        if (!config.boot_timer->empty() && args.count("jail"))
            return fail(ExitCode::Usage, "--boot-timer=FILE does not work with --jail "
                                         "(--boot-timer alone prints on stderr)");
    }
    if (args.count("jail")) {
        config.jail_dir = args["jail"].as<std::string>();
        if (config.jail_dir.empty() || config.jail_dir[0] != '/')
            return fail(ExitCode::Usage, "--jail: DIR must be an absolute path");
    }
    if (args.count("uid"))
        config.jail_uid = TRY(parse_number<uint32_t>("uid", args["uid"].as<std::string>()));
    if (args.count("gid"))
        config.jail_gid = TRY(parse_number<uint32_t>("gid", args["gid"].as<std::string>()));
    if ((config.jail_uid || config.jail_gid) && config.jail_dir.empty())
        return fail(ExitCode::Usage, "--uid and --gid need --jail");
    if (config.jail_gid && !config.jail_uid)
        return fail(ExitCode::Usage, "--gid needs --uid");
    return std::optional<VmConfig>{std::move(config)};
}

} // namespace hyper
