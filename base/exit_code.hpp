#pragma once
// The exit codes of `vmm`, documented in README.md. `vmm run` exits with the app's own
// exit code (0..255, reported by the guest init), which may coincide with these; vmm's own
// failures always print a "vmm: error:" line.
namespace hyper {

enum class ExitCode : int {
    Ok = 0,             // the guest rebooted or powered off
    Usage = 64,         // bad command-line flag or value
    BadImage = 65,      // a kernel or initrd that is not what it claims to be
    NoInput = 66,       // a file named on the command line is missing or unreadable
    NoKvm = 69,         // /dev/kvm does not exist
    Internal = 70,      // a bug or an unexpected host failure
    HostResource = 71,  // the host cannot give what was asked (memory, threads)
    KvmCapability = 72, // KVM lacks the API version or a capability we need
    CantCreate = 73,    // an output file (console log) cannot be created
    NoPermission = 77,  // no permission to open /dev/kvm
    GuestPanic = 80,    // the guest kernel panicked (with panic=-1 it resets at once)
    GuestCrash = 81,    // the guest triple-faulted or KVM reported an internal error
    NoAppStatus = 82,   // vmm run: the guest stopped without reporting the app's exit status
    Terminated = 143,   // vmm got SIGTERM or SIGINT and stopped the VM (128 + 15)
};

inline int to_int(ExitCode code) {
    return static_cast<int>(code);
}

} // namespace hyper
