#include "sandbox/seccomp_rules.hpp"

#include <linux/if_tun.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "kvm/ioctls.hpp"

namespace hyper::sandbox {

namespace {

using Check = SyscallRule::Check;

SyscallRule any(int nr) {
    return {nr, Check::None, 0};
}
SyscallRule ioctl_request(unsigned long request) {
    return {SCMP_SYS(ioctl), Check::IoctlReq, request};
}

// arm64 has only the newer forms of some calls (asm-generic unistd): glibc's poll() is
// ppoll, epoll_wait() is epoll_pwait, unlink() is unlinkat. On x86_64 the old ones are
// used and these are not added; on arm64 SCMP_SYS of the old names is negative (no such
// syscall) and install_seccomp_filter skips them.
void poll_calls(std::vector<SyscallRule>& r) {
    r.push_back(any(SCMP_SYS(poll))); // see each role for what it waits on
#if defined(__aarch64__)
    r.push_back(any(SCMP_SYS(ppoll))); // poll() on arm64
#endif
}
void epoll_wait_calls(std::vector<SyscallRule>& r) {
    r.push_back(any(SCMP_SYS(epoll_wait))); // see each role for what it waits on
#if defined(__aarch64__)
    r.push_back(any(SCMP_SYS(epoll_pwait))); // epoll_wait() on arm64
#endif
}

// Every thread: the C/C++ runtime, logging, eventfd signalling, ending.
void common(std::vector<SyscallRule>& r, uint64_t pid) {
    r.push_back(any(SCMP_SYS(read)));                    // eventfd waits and counters
    r.push_back(any(SCMP_SYS(write)));                   // log lines to stderr, eventfd signals
    r.push_back(any(SCMP_SYS(close)));                   // fds released by RAII owners
    r.push_back(any(SCMP_SYS(futex)));                   // mutexes, call_once, thread join
    r.push_back(any(SCMP_SYS(mmap)));                    // malloc of large blocks, new arenas
    r.push_back(any(SCMP_SYS(munmap)));                  // free of large blocks
    r.push_back(any(SCMP_SYS(mprotect)));                // malloc growing a thread arena
    r.push_back(any(SCMP_SYS(madvise)));                 // free trimming, glibc at thread exit
    r.push_back(any(SCMP_SYS(brk)));                     // malloc in the main arena
    r.push_back(any(SCMP_SYS(rt_sigprocmask)));          // glibc around thread exit and abort()
    r.push_back(any(SCMP_SYS(sched_yield)));             // spin-wait back-off in the runtime
    r.push_back(any(SCMP_SYS(restart_syscall)));         // a syscall resumed after a signal
    r.push_back(any(SCMP_SYS(clock_gettime)));           // steady_clock/time() without the vDSO
    r.push_back(any(SCMP_SYS(getpid)));                  // raise()/pthread_kill name the process
    r.push_back(any(SCMP_SYS(gettid)));                  // raise() in abort()
    r.push_back({SCMP_SYS(tgkill), Check::Arg0Eq, pid}); // signals to our own threads only
    r.push_back(any(SCMP_SYS(exit)));                    // a thread ends
    r.push_back(any(SCMP_SYS(exit_group)));              // the process ends
}

// main, once every other thread exists: waits for a stop reason, forwards console
// input, kicks and joins the vCPUs, then tears everything down.
void vmm(std::vector<SyscallRule>& r) {
    poll_calls(r);                          // the stop eventfd, the signalfd, console input
    r.push_back(any(SCMP_SYS(pread64)));    // --stats: re-reads /proc files opened earlier
    r.push_back(any(SCMP_SYS(lseek)));      // (the same)
    r.push_back(any(SCMP_SYS(mincore)));    // --stats: which guest RAM pages are resident
    r.push_back(any(SCMP_SYS(newfstatat))); // vsock: checks the socket file before unlink
    r.push_back(any(SCMP_SYS(unlink)));     // vsock: removes its listening socket file
#if defined(__aarch64__)
    r.push_back(any(SCMP_SYS(unlinkat))); // (the same: unlink() on arm64)
#endif
    r.push_back(ioctl_request(TCSETS)); // tcsetattr(): restores the terminal
    r.push_back(ioctl_request(TCGETS)); // (the same: glibc's reads them before and after)
}

// A vCPU: KVM_RUN and the device emulation its exits reach, including the virtio
// transports' activate/reset (DRIVER_OK and Status=0 are MMIO writes).
void vcpu(std::vector<SyscallRule>& r) {
    r.push_back(ioctl_request(kvm::k_ioctl_run));  // runs the vCPU
    r.push_back(ioctl_request(TUNSETOFFLOAD));     // virtio-net activate: TAP offloads
    r.push_back(any(SCMP_SYS(rt_sigreturn)));      // returns from the kick signal handler
    r.push_back(any(SCMP_SYS(eventfd2)));          // virtio-blk activate: io_uring eventfd
    r.push_back(any(SCMP_SYS(io_uring_setup)));    // virtio-blk activate: its ring
    r.push_back(any(SCMP_SYS(io_uring_register))); // (the same) registers the eventfd
    r.push_back(any(SCMP_SYS(epoll_create1)));     // virtio-net activate: the worker's epoll
    r.push_back(any(SCMP_SYS(epoll_ctl)));         // (the same) adds its fds
}

// virtio-blk: requests through io_uring, or synchronous I/O when it is unavailable.
void block(std::vector<SyscallRule>& r) {
    poll_calls(r);                              // stop, queue notify and ring eventfds
    r.push_back(any(SCMP_SYS(io_uring_enter))); // submits and reaps requests
    r.push_back(any(SCMP_SYS(preadv)));         // synchronous reads
    r.push_back(any(SCMP_SYS(pwritev)));        // synchronous writes
    r.push_back(any(SCMP_SYS(fdatasync)));      // synchronous FLUSH
    r.push_back(any(SCMP_SYS(fallocate)));      // synchronous DISCARD and WRITE_ZEROES
}

// virtio-net: frames between the queues and the TAP.
void net(std::vector<SyscallRule>& r) {
    epoll_wait_calls(r);                   // stop, queue notifies, TAP readiness
    r.push_back(any(SCMP_SYS(epoll_ctl))); // TAP read interest on and off
    r.push_back(any(SCMP_SYS(readv)));     // a frame from the TAP
    r.push_back(any(SCMP_SYS(writev)));    // a frame to the TAP
}

// virtio-vsock: streams between the guest and Unix sockets on the host.
void vsock(std::vector<SyscallRule>& r) {
    r.push_back(any(SCMP_SYS(epoll_create1)));               // the worker's epoll
    r.push_back(any(SCMP_SYS(epoll_ctl)));                   // connections come and go
    epoll_wait_calls(r);                                     // waits for all of them
    poll_calls(r);                                           // peer hang-up check
    r.push_back(any(SCMP_SYS(accept4)));                     // host clients connect
    r.push_back({SCMP_SYS(socket), Check::Arg0Eq, AF_UNIX}); // guest -> host: Unix only
    r.push_back(any(SCMP_SYS(connect)));                     // (the same) to uds_PORT
    r.push_back(any(SCMP_SYS(recvfrom)));                    // the CONNECT line
    r.push_back(any(SCMP_SYS(sendmsg)));                     // guest data to the host
    r.push_back(any(SCMP_SYS(readv)));                       // host data to the guest
    r.push_back(any(SCMP_SYS(shutdown)));                    // half-close passed on
}

// virtio-9p, served on the vCPU threads (Vcpu9p, with vcpu()'s rules): a file server
// confined beneath the share root (openat2 RESOLVE_BENEATH).
void p9(std::vector<SyscallRule>& r) {
    r.push_back(any(SCMP_SYS(openat2)));     // every lookup, one name, beneath the root
    r.push_back(any(SCMP_SYS(openat)));      // reopening a held fid through /proc/self/fd
    r.push_back(any(SCMP_SYS(fcntl)));       // F_DUPFD_CLOEXEC, F_GETFL
    r.push_back(any(SCMP_SYS(newfstatat)));  // Tgetattr and lookups
    r.push_back(any(SCMP_SYS(fstat)));       // (the same, older glibc paths)
    r.push_back(any(SCMP_SYS(statx)));       // (the same, newer glibc paths)
    r.push_back(any(SCMP_SYS(fstatfs)));     // Tstatfs
    r.push_back(any(SCMP_SYS(getdents64)));  // Treaddir
    r.push_back(any(SCMP_SYS(lseek)));       // Treaddir offsets
    r.push_back(any(SCMP_SYS(pread64)));     // Tread
    r.push_back(any(SCMP_SYS(preadv)));      // Tread straight into the guest's buffers
    r.push_back(any(SCMP_SYS(getxattr)));    // Txattrwalk, through /proc/self/fd
    r.push_back(any(SCMP_SYS(listxattr)));   // Txattrwalk with no name (the list)
    r.push_back(any(SCMP_SYS(setxattr)));    // Txattrcreate, set on Tclunk
    r.push_back(any(SCMP_SYS(removexattr))); // Txattrcreate of size 0
    r.push_back(any(SCMP_SYS(pwrite64)));    // Twrite of data in the message (xattrs, small)
    r.push_back(any(SCMP_SYS(pwritev)));     // Twrite straight from the guest's buffers
    r.push_back(any(SCMP_SYS(mkdirat)));     // Tmkdir
    r.push_back(any(SCMP_SYS(mknodat)));     // Tmknod (fifos, sockets)
    r.push_back(any(SCMP_SYS(symlinkat)));   // Tsymlink
    r.push_back(any(SCMP_SYS(linkat)));      // Tlink
    r.push_back(any(SCMP_SYS(readlinkat)));  // Treadlink
    r.push_back(any(SCMP_SYS(renameat)));    // Trenameat, Trename
    r.push_back(any(SCMP_SYS(renameat2)));   // (the same, newer glibc)
    r.push_back(any(SCMP_SYS(unlinkat)));    // Tunlinkat, Tremove
    r.push_back(any(SCMP_SYS(fsync)));       // Tfsync
    r.push_back(any(SCMP_SYS(fdatasync)));   // Tfsync with datasync
    r.push_back(any(SCMP_SYS(chmod)));       // Tsetattr mode, through /proc/self/fd
    r.push_back(any(SCMP_SYS(fchmodat)));    // (the same, newer glibc)
    r.push_back(any(SCMP_SYS(fchownat)));    // Tsetattr uid/gid
    r.push_back(any(SCMP_SYS(utimensat)));   // Tsetattr times
    r.push_back(any(SCMP_SYS(ftruncate)));   // Tsetattr size on an open fid
    r.push_back(any(SCMP_SYS(truncate)));    // Tsetattr size through /proc/self/fd
}

} // namespace

std::vector<SyscallRule> seccomp_rules(ThreadRole role, uint64_t pid) {
    std::vector<SyscallRule> r;
    common(r, pid);
    switch (role) {
    case ThreadRole::Vmm: vmm(r); break;
    case ThreadRole::Vcpu: vcpu(r); break;
    case ThreadRole::Block: block(r); break;
    case ThreadRole::Net: net(r); break;
    case ThreadRole::Vsock: vsock(r); break;
    case ThreadRole::Vcpu9p:
        vcpu(r);
        p9(r);
        break;
    }
    return r;
}

} // namespace hyper::sandbox
