#pragma once
// What a thread of the VMM is for. A thread announces its role with enter_thread_role()
// first thing, before it does any guest-driven work; the program (vmm/main.cpp) decides
// what that means by installing a hook (the sandbox's seccomp filter for the role). The
// layers below the program only name roles, so devices/ need not know about seccomp.
// Without a hook (the unit tests) entering a role does nothing.
#include "base/result.hpp"

namespace hyper {

enum class ThreadRole {
    Vmm,   // main: signals, console input, stop, clean-up
    Vcpu,  // one per vCPU: KVM_RUN and the device emulation it reaches
    Block, // a virtio-blk I/O thread
    Net,   // a virtio-net I/O thread
    Vsock, // a virtio-vsock I/O thread
    P9,    // a virtio-9p I/O thread
};

const char* thread_role_name(ThreadRole role);

using ThreadRoleHook = Result<void> (*)(ThreadRole role);

// Sets the hook every later enter_thread_role() calls (nullptr: none). Call it from main
// before any thread that enters a role exists.
void set_thread_role_hook(ThreadRoleHook hook);

// The calling thread takes on `role`: runs the hook, if any. An error means the thread
// must not go on to its work.
Result<void> enter_thread_role(ThreadRole role);

} // namespace hyper
