#include "sandbox/seccomp.hpp"

#include <atomic>
#include <climits>
#include <malloc.h>
#include <memory>
#include <seccomp.h>
#include <unistd.h>

#include "sandbox/seccomp_rules.hpp"

namespace hyper::sandbox {

namespace {

std::atomic<SeccompMode> g_mode{SeccompMode::Off};

struct ContextDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

Unexpected refused(ThreadRole role, const char* what, int rc) {
    return fail_errno(std::string("seccomp: ") + thread_role_name(role) + " filter: " + what, -rc,
                      ExitCode::HostResource);
}

int add_rule(scmp_filter_ctx ctx, const SyscallRule& rule) {
    switch (rule.check) {
    case SyscallRule::Check::None: return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rule.nr, 0);
    case SyscallRule::Check::Arg0Eq:
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rule.nr, 1, SCMP_A0(SCMP_CMP_EQ, rule.value));
    case SyscallRule::Check::IoctlReq:
        // The request is an int in the kernel: compare the low 32 bits only.
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rule.nr, 1,
                                SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, rule.value));
    }
    return -EINVAL;
}

Result<void> install_hook(ThreadRole role) {
    return install_seccomp_filter(role, g_mode.load(std::memory_order_relaxed));
}

} // namespace

std::optional<SeccompMode> parse_seccomp_mode(const std::string& text) {
    if (text == "kill")
        return SeccompMode::Kill;
    if (text == "log")
        return SeccompMode::Log;
    if (text == "off")
        return SeccompMode::Off;
    return std::nullopt;
}

const char* seccomp_mode_name(SeccompMode mode) {
    switch (mode) {
    case SeccompMode::Kill: return "kill";
    case SeccompMode::Log: return "log";
    case SeccompMode::Off: return "off";
    }
    return "?";
}

Result<void> install_seccomp_filter(ThreadRole role, SeccompMode mode) {
    if (mode == SeccompMode::Off)
        return {};
    uint32_t action = mode == SeccompMode::Kill ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_LOG;
    Context ctx(seccomp_init(action));
    if (!ctx)
        return fail(ExitCode::HostResource, "seccomp: cannot create a filter");
    for (const SyscallRule& rule : seccomp_rules(role, static_cast<uint64_t>(::getpid()))) {
        if (rule.nr < 0)
            continue; // not a syscall on this architecture
        if (int rc = add_rule(ctx.get(), rule); rc < 0)
            return refused(role, "cannot add a rule", rc);
    }
    if (int rc = seccomp_load(ctx.get()); rc < 0)
        return refused(role, "the kernel refused it", rc);
    return {};
}

void keep_malloc_from_opening_files() {
    ::mallopt(M_TRIM_THRESHOLD, INT_MAX);
}

Result<void> enable_seccomp(SeccompMode mode) {
    g_mode.store(mode, std::memory_order_relaxed);
    keep_malloc_from_opening_files();
    if (mode == SeccompMode::Off) {
        set_thread_role_hook(nullptr);
        return {};
    }
    // The API level says which filter features the kernel has; KILL_PROCESS and LOG
    // need level 3.
    if (seccomp_api_get() < 3)
        return fail(ExitCode::HostResource,
                    "--seccomp: this kernel lacks seccomp filters with kill-process and log "
                    "actions (use --seccomp=off to run without them)");
    set_thread_role_hook(&install_hook);
    return {};
}

} // namespace hyper::sandbox
