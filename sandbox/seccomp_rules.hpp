#pragma once
// The allow-list of each thread role, as data: the syscall numbers and the argument
// checks, turned into a filter by seccomp.cpp.
#include <cstdint>
#include <vector>

#include "base/thread_role.hpp"

namespace hyper::sandbox {

struct SyscallRule {
    enum class Check {
        None,     // any arguments
        Arg0Eq,   // argument 0 == value
        IoctlReq, // ioctl request (argument 1, low 32 bits) == value
    };
    int nr; // SCMP_SYS(name); negative when the syscall does not exist on this arch
    Check check{Check::None};
    uint64_t value{0};
};

// The rules of `role`, common ones included. `pid` is the process's own pid (signals may
// only go to its own threads).
std::vector<SyscallRule> seccomp_rules(ThreadRole role, uint64_t pid);

} // namespace hyper::sandbox
