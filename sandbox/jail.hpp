#pragma once
// A built-in jail: vmm confines itself before it opens anything. The calling process
// closes every inherited fd above stderr, enters new mount, pid, ipc and uts namespaces
// (and a new network namespace when asked), and forks: the parent stays outside, forwards
// SIGTERM/SIGINT/SIGHUP/SIGUSR2 and exits with the child's status; the child (pid 1 of
// its namespace) mounts a tmpfs on the jail directory, binds into it only what the VM
// needs, each at the path it has on the host (so no path changes), creates its own
// /dev/kvm and /dev/net/tun nodes owned by the VM's uid, mounts its own /proc, pivots
// into it, drops to the uid/gid, sets no_new_privs and the rlimits, and returns to run
// the VM.
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "base/result.hpp"

namespace hyper::sandbox {

struct JailConfig {
    std::string dir;          // an empty directory (created if missing); the new root
    std::optional<uid_t> uid; // drop to these (none: stay root inside the jail)
    std::optional<gid_t> gid;
    bool new_network{false};            // a network namespace of its own (no TAP then)
    std::vector<std::string> read_only; // absolute paths bound read-only (kernel, initrd)
    std::vector<std::string> writable;  // absolute paths bound read-write (disks, shares,
                                        // the vsock socket's directory)
    std::vector<std::string> devices;   // device nodes recreated inside (/dev/kvm, ...)
    uint64_t max_open_files{4096};      // RLIMIT_NOFILE
    uint64_t max_file_size{0};          // RLIMIT_FSIZE in bytes (0: no limit)
};

// Returns in the jailed child. In the parent it never returns: it exits with the
// child's status (128 + signal when the child was killed). Must be called before any
// thread exists. Errors (in the child or before the fork): ExitCode::NoPermission when
// the namespaces or mounts are refused (not root), ExitCode::NoInput for a missing path.
Result<void> enter_jail(const JailConfig& config);

} // namespace hyper::sandbox
