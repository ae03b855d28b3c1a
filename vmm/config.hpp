#pragma once
// What the user asked for, validated by the CLI; the builder turns it into a machine.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "sandbox/seccomp.hpp"

namespace hyper {

struct ConsoleConfig {
    enum class Kind { Stdio, File, None } kind{Kind::Stdio};
    std::string path; // for Kind::File
};

struct DiskConfig {
    std::string path;
    bool read_only{false};
    std::string serial; // GET_ID answer, at most 20 bytes
    bool direct{false}; // cache=none: O_DIRECT
};

struct NetConfig {
    std::string tap;
    std::optional<std::array<uint8_t, 6>> mac; // none: derived from the TAP name
    std::string ip;                            // guest address "A.B.C.D/N", empty: none
    std::string gateway;                       // "A.B.C.D", empty: none
};

struct ShareConfig {
    std::string path; // host directory
    std::string tag;  // the 9p mount tag the guest names
    bool read_only{false};
};

struct VsockConfig {
    uint64_t cid{3};
    std::string uds; // host Unix socket path
};

struct VmConfig {
    std::string kernel;
    std::string initrd; // empty: none
    std::string cmdline;
    uint32_t cpus{1};
    uint64_t memory_mib{256};
    ConsoleConfig console;
    std::vector<DiskConfig> disks; // /dev/vda, /dev/vdb, ... in this order
    std::optional<NetConfig> net;  // eth0
    std::optional<VsockConfig> vsock;
    std::vector<ShareConfig> shares; // virtio-9p
    LogLevel log_level{LogLevel::Warn};
    // vmm run: initramfs pieces loaded right after the initrd file, back to back (the
    // guest init and the run's /.hyper/run), and the app's exit status as vmm's
    std::vector<std::vector<uint8_t>> initrd_extra;
    bool run_mode{false};
    sandbox::SeccompMode seccomp{sandbox::SeccompMode::Kill}; // per-thread filters
    bool stats{false};    // --stats: the VMM's own memory as JSON on stderr
    bool acpi{true};      // --acpi: ACPI tables besides the MP table (x86_64)
    std::string jail_dir; // --jail: empty, none (vmm/jail_setup.hpp)
    std::optional<uint32_t> jail_uid;
    std::optional<uint32_t> jail_gid;
    // --boot-timer[=FILE]: the timeline's destination, "" for stderr (vmm/boot_timer.hpp)
    std::optional<std::string> boot_timer;
};

// Kernel parameters the VMM always appends: they describe the platform it emulates
// (x86_64: no PCI, a keyboard controller only for reset, no I/O delay port) and make a
// panic leave a mark the VMM can read (x86_64: reboot=...,panic_warm writes 0x1234 at
// 0x472; aarch64: a panic resets through PSCI SYSTEM_RESET2, a warm reset).
inline constexpr const char* k_platform_cmdline_x86_64 =
    "reboot=k,panic_warm pci=off i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd "
    "io_delay=none";
inline constexpr const char* k_platform_cmdline_aarch64 = "reboot=panic_warm";
#if defined(__aarch64__)
inline constexpr const char* k_platform_cmdline = k_platform_cmdline_aarch64;
#else
inline constexpr const char* k_platform_cmdline = k_platform_cmdline_x86_64;
#endif
inline constexpr const char* k_default_cmdline = "console=ttyS0 panic=-1";

} // namespace hyper
