#include "base/thread_role.hpp"

#include <atomic>

namespace hyper {

namespace {
std::atomic<ThreadRoleHook> g_hook{nullptr};
} // namespace

const char* thread_role_name(ThreadRole role) {
    switch (role) {
    case ThreadRole::Vmm: return "vmm";
    case ThreadRole::Vcpu: return "vcpu";
    case ThreadRole::Block: return "blk";
    case ThreadRole::Net: return "net";
    case ThreadRole::Vsock: return "vsock";
    case ThreadRole::P9: return "9p";
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
