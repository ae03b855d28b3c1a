// Each role's real filter, installed in a forked child: a syscall the role must not make
// kills the child with SIGSYS; one it needs goes through.
#include <csignal>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <functional>
#include <linux/if_tun.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "kvm/ioctls.hpp"
#include "sandbox/seccomp.hpp"

using namespace hyper;
using namespace hyper::sandbox;

namespace {

constexpr int k_install_failed = 3;

// Ends the child with the raw syscall: sanitizer runtimes intercept _exit() to run their
// own checks (LeakSanitizer creates a thread), which the filter rightly kills. Nothing
// tells the compiler it does not return (no [[noreturn]], no __builtin_unreachable()):
// AddressSanitizer precedes each call of a function known not to return with a stack
// check that calls sigaltstack(), which no filter allows.
void exit_child(int code) {
    ::syscall(SYS_exit_group, code);
}

// Forks; the child installs `role`'s filter (kill mode), runs `probe` and exits 0.
// Returns the child's wait status.
int in_filtered_child(ThreadRole role, const std::function<void()>& probe) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (!install_seccomp_filter(role, SeccompMode::Kill))
            exit_child(k_install_failed);
        probe();
        exit_child(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return status;
}

bool killed_by_sigsys(int status) {
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}
bool exited_cleanly(int status) {
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Probes: each makes one syscall (raw, so glibc cannot substitute another).
void probe_kvm_run() {
    ::syscall(SYS_ioctl, -1, kvm::k_ioctl_run, 0);
}
void kvm_create_vm() {
    ::syscall(SYS_ioctl, -1, kvm::k_ioctl_create_vm, 0);
}
void tun_set_iff() {
    ::syscall(SYS_ioctl, -1, TUNSETIFF, 0);
}
void open_file() {
    ::syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
}
void inet_socket() {
    ::syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
}
void unix_socket() {
    ::syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
}
void exec_shell() {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    ::syscall(SYS_execve, "/bin/true", argv, nullptr);
}
void make_thread() {
    ::syscall(SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, nullptr, nullptr, nullptr, 0);
}
void allowed_close() {
    ::syscall(SYS_close, -1);
}

struct Forbidden {
    const char* what;
    void (*probe)();
};

void check_role(ThreadRole role, std::initializer_list<Forbidden> forbidden) {
    CAPTURE(thread_role_name(role));
    CHECK(exited_cleanly(in_filtered_child(role, allowed_close)));
    for (const Forbidden& f : forbidden) {
        CAPTURE(f.what);
        CHECK(killed_by_sigsys(in_filtered_child(role, f.probe)));
    }
}

} // namespace

TEST_CASE("seccomp: the main thread's filter kills KVM_RUN, opening files, exec, threads") {
    check_role(ThreadRole::Vmm, {{"ioctl KVM_RUN", probe_kvm_run},
                                 {"openat", open_file},
                                 {"execve", exec_shell},
                                 {"clone", make_thread},
                                 {"socket", unix_socket}});
}

TEST_CASE("seccomp: the main thread's filter lets it restore a terminal's settings") {
    // What Console's destructor does at exit when stdin is a terminal.
    int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    int tty = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
    REQUIRE(tty >= 0);
    termios saved{};
    REQUIRE(::tcgetattr(tty, &saved) == 0);
    CHECK(exited_cleanly(in_filtered_child(ThreadRole::Vmm, [&] {
        if (::tcsetattr(tty, TCSANOW, &saved) != 0)
            exit_child(k_install_failed + 1);
    })));
    ::close(tty);
    ::close(master);
}

TEST_CASE("seccomp: the vCPU filter allows KVM_RUN and kills other KVM ioctls and files") {
    CHECK(exited_cleanly(in_filtered_child(ThreadRole::Vcpu, probe_kvm_run)));
    check_role(ThreadRole::Vcpu, {{"ioctl KVM_CREATE_VM", kvm_create_vm},
                                  {"ioctl TUNSETIFF", tun_set_iff},
                                  {"openat", open_file},
                                  {"socket", inet_socket},
                                  {"execve", exec_shell},
                                  {"clone", make_thread}});
}

TEST_CASE("seccomp: the virtio-blk filter kills ioctls, opening files, sockets") {
    check_role(ThreadRole::Block, {{"ioctl KVM_RUN", probe_kvm_run},
                                   {"openat", open_file},
                                   {"socket", unix_socket},
                                   {"execve", exec_shell}});
}

TEST_CASE("seccomp: the virtio-net filter kills TAP and KVM ioctls, opening files, sockets") {
    check_role(ThreadRole::Net, {{"ioctl KVM_RUN", probe_kvm_run},
                                 {"ioctl TUNSETIFF", tun_set_iff},
                                 {"openat", open_file},
                                 {"socket", inet_socket},
                                 {"execve", exec_shell}});
}

TEST_CASE("seccomp: the virtio-vsock filter allows Unix sockets only, kills files and ioctls") {
    CHECK(exited_cleanly(in_filtered_child(ThreadRole::Vsock, unix_socket)));
    check_role(ThreadRole::Vsock, {{"socket AF_INET", inet_socket},
                                   {"ioctl KVM_RUN", probe_kvm_run},
                                   {"openat", open_file},
                                   {"execve", exec_shell}});
}

TEST_CASE("seccomp: a vCPU serving 9p may run the vCPU and open files, not sockets or exec") {
    CHECK(exited_cleanly(in_filtered_child(ThreadRole::Vcpu9p, probe_kvm_run)));
    CHECK(exited_cleanly(in_filtered_child(ThreadRole::Vcpu9p, open_file)));
    check_role(ThreadRole::Vcpu9p, {{"socket", unix_socket},
                                    {"ioctl TUNSETIFF", tun_set_iff},
                                    {"execve", exec_shell},
                                    {"clone", make_thread}});
}

// A thread that frees 6 MiB of small blocks at the top of its arena: glibc would give the
// memory back with shrink_heap, whose first call opens /proc/sys/vm/overcommit_memory.
void churn_thread_arena() {
    std::vector<void*> blocks;
    for (int i = 0; i < 64; i++)
        blocks.push_back(::malloc(96 << 10));
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it)
        ::free(*it);
}

TEST_CASE("seccomp: a filtered thread can free memory without malloc opening a file") {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        keep_malloc_from_opening_files();
        // The worker ends the process itself: a thread's own exit is the runtime's
        // business (sanitizers make syscalls there that no filter of ours allows).
        std::thread worker([] {
            if (!install_seccomp_filter(ThreadRole::Vcpu, SeccompMode::Kill))
                exit_child(k_install_failed);
            churn_thread_arena();
            exit_child(0);
        });
        worker.join();
        exit_child(k_install_failed + 1); // not reached
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(exited_cleanly(status));
}

TEST_CASE("seccomp: log mode lets a forbidden syscall through; off installs nothing") {
    for (SeccompMode mode : {SeccompMode::Log, SeccompMode::Off}) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            if (!install_seccomp_filter(ThreadRole::Block, mode))
                exit_child(k_install_failed);
            inet_socket();
            exit_child(0);
        }
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK(exited_cleanly(status));
    }
    CHECK(parse_seccomp_mode("kill") == SeccompMode::Kill);
    CHECK(parse_seccomp_mode("log") == SeccompMode::Log);
    CHECK(parse_seccomp_mode("off") == SeccompMode::Off);
    CHECK_FALSE(parse_seccomp_mode("on"));
}
