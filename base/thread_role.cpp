#include "base/thread_role.hpp"

#include <atomic>
#include <cstring>
#include <pthread.h>

namespace hyper {

namespace {
std::atomic<ThreadRoleHook> g_hook{nullptr};
} // namespace

Result<void> use_small_thread_stacks() {
    pthread_attr_t attr;
    if (int e = ::pthread_attr_init(&attr); e != 0)
        return fail(ExitCode::Internal, std::string("pthread_attr_init: ") + std::strerror(e));
    int e = ::pthread_attr_setstacksize(&attr, k_thread_stack_size);
    if (e == 0)
        e = ::pthread_setattr_default_np(&attr);
    ::pthread_attr_destroy(&attr);
    if (e != 0)
        return fail(ExitCode::Internal, std::string("thread stack size: ") + std::strerror(e));
    return {};
}

const char* thread_role_name(ThreadRole role) {
    switch (role) {
    case ThreadRole::Vmm: return "vmm";
    case ThreadRole::Vcpu: return "vcpu";
    case ThreadRole::Block: return "blk";
    case ThreadRole::Net: return "net";
    case ThreadRole::Vsock: return "vsock";
    case ThreadRole::Vcpu9p: return "vcpu+9p";
    }
    return "?";
}

void set_thread_role_hook(ThreadRoleHook hook) {
    g_hook.store(hook, std::memory_order_release);
}

Result<void> enter_thread_role(ThreadRole role) {
    ThreadRoleHook hook = g_hook.load(std::memory_order_acquire);
    if (!hook)
        return {};
    return hook(role);
}

} // namespace hyper
