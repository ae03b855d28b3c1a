#pragma once
// What a thread of the VMM is for. A thread announces its role with enter_thread_role()
// first thing, before it does any guest-driven work; the program (vmm/main.cpp) decides
// what that means by installing a hook (the sandbox's seccomp filter for the role). The
// layers below the program only name roles, so devices/ need not know about seccomp.
// Without a hook (the unit tests) entering a role does nothing.
#include "base/result.hpp"

namespace hyper {

enum class ThreadRole {
    Vmm,    // main: signals, console input, stop, clean-up
    Vcpu,   // one per vCPU: KVM_RUN and the device emulation it reaches
    Block,  // a virtio-blk I/O thread
    Net,    // a virtio-net I/O thread
    Vsock,  // a virtio-vsock I/O thread
    Vcpu9p, // a vCPU of a VM with a 9p share: also serves its 9P requests (P9Device)
};

const char* thread_role_name(ThreadRole role);

using ThreadRoleHook = Result<void> (*)(ThreadRole role);

// Sets the hook every later enter_thread_role() calls (nullptr: none). Call it from main
// before any thread that enters a role exists.
void set_thread_role_hook(ThreadRoleHook hook);

// Every thread created after this call gets a stack of k_thread_stack_size bytes instead of
// glibc's default (8 MiB, from RLIMIT_STACK). Where transparent huge pages are on for all
// memory (many distributions' default), the first touch of a thread's stack in a mapping
// that large faults in a whole 2 MiB page: 2 MiB of the VMM's memory per thread, zeroed
// on the way to the first KVM_RUN. A stack smaller than 2 MiB cannot hold one. Call it
// from main before any thread exists. Errors: the values were refused (Internal).
inline constexpr size_t k_thread_stack_size = size_t{256} << 10;
Result<void> use_small_thread_stacks();

// The calling thread takes on `role`: runs the hook, if any. An error means the thread
// must not go on to its work.
Result<void> enter_thread_role(ThreadRole role);

} // namespace hyper
