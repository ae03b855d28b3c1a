#pragma once
// Per-thread seccomp filters (libseccomp): one allow-list per ThreadRole, installed by the
// thread itself (enter_thread_role) before it does guest-driven work. Anything not on
// the list kills the whole process (or, in log mode, is logged by the kernel and
// allowed). ioctl is allowed only with the request numbers the role needs: KVM_RUN on
// vCPU threads only, and so on. The lists live in seccomp_rules.cpp.
#include <optional>
#include <string>

#include "base/result.hpp"
#include "base/thread_role.hpp"

namespace hyper::sandbox {

enum class SeccompMode {
    Kill, // a syscall off the list kills the process with SIGSYS (the default)
    Log,  // it is allowed and logged by the kernel (audit type=1326): to find what is missing
    Off,  // no filter (debugging only)
};

std::optional<SeccompMode> parse_seccomp_mode(const std::string& text);
const char* seccomp_mode_name(SeccompMode mode);

// Installs `role`'s filter on the calling thread (nothing for Off). It also sets
// no_new_privs. Errors: the kernel refused the filter (ExitCode::HostResource).
Result<void> install_seccomp_filter(ThreadRole role, SeccompMode mode);

// glibc's malloc opens /proc/sys/vm/overcommit_memory the first time it gives memory at
// the top of a thread arena's heap back to the kernel (shrink_heap): a file open that
// every filter forbids, made by whichever thread happens to free enough. This turns that
// trimming off (M_TRIM_THRESHOLD at its maximum, which also pins the mmap threshold:
// blocks of 128 KiB and more are still mapped and unmapped on their own). enable_seccomp
// calls it; call it before any thread exists.
void keep_malloc_from_opening_files();

// Makes every later enter_thread_role() install that role's filter in `mode`. Call from
// main before any thread exists. Fails when the kernel has no seccomp filters and
// `mode` is not Off.
Result<void> enable_seccomp(SeccompMode mode);

} // namespace hyper::sandbox
