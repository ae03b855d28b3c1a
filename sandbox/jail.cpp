#include "sandbox/jail.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "base/log.hpp"

namespace hyper::sandbox {

namespace {

Unexpected jail_error(const std::string& what, int err = errno) {
    ExitCode code = err == EPERM || err == EACCES ? ExitCode::NoPermission : ExitCode::Internal;
    return fail_errno("--jail: " + what, err, code);
}

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// mkdir -p with mode 0755 (directories the VM's uid must be able to traverse).
Result<void> make_dirs(const std::string& path) {
    for (size_t pos = 1; pos <= path.size(); pos++) {
        if (pos != path.size() && path[pos] != '/')
            continue;
        std::string prefix = path.substr(0, pos);
        if (::mkdir(prefix.c_str(), 0755) < 0 && errno != EEXIST)
            return jail_error("mkdir " + prefix);
    }
    return {};
}

// Binds the host path `host` at root + host (a file or a directory, like the source).
Result<void> bind_into(const std::string& root, const std::string& host, bool read_only) {
    struct stat st {};
    if (::stat(host.c_str(), &st) < 0)
        return fail_errno("--jail: " + host, errno, ExitCode::NoInput);
    std::string target = root + host;
    TRY(make_dirs(parent_of(target)));
    if (S_ISDIR(st.st_mode)) {
        if (::mkdir(target.c_str(), 0755) < 0 && errno != EEXIST)
            return jail_error("mkdir " + target);
    } else {
        Fd file(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        if (!file.valid())
            return jail_error("create " + target);
    }
    if (::mount(host.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
        return jail_error("bind " + host);
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (read_only ? MS_RDONLY : 0);
    if (::mount(nullptr, target.c_str(), nullptr, flags, nullptr) < 0)
        return jail_error("remount " + host);
    return {};
}

// A device node of its own, same numbers as the host's, owned by the VM's user.
Result<void> make_device(const std::string& root, const std::string& host,
                         const JailConfig& config) {
    struct stat st {};
    if (::stat(host.c_str(), &st) < 0)
        return fail_errno("--jail: " + host, errno, ExitCode::NoInput);
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
        return fail(ExitCode::NoInput, "--jail: " + host + " is not a device node");
    std::string target = root + host;
    TRY(make_dirs(parent_of(target)));
    if (::mknod(target.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0)
        return jail_error("mknod " + target);
    if (config.uid && ::chown(target.c_str(), *config.uid, config.gid.value_or(*config.uid)) < 0)
        return jail_error("chown " + target);
    return {};
}

Result<void> build_root(const JailConfig& config) {
    const std::string& root = config.dir;
    // Nothing mounted here may leak back to the host's namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
        return jail_error("make mounts private");
    if (::mount("tmpfs", root.c_str(), "tmpfs", MS_NOSUID, "mode=0755,size=1m") < 0)
        return jail_error("mount a tmpfs on " + root);
    for (const auto& path : config.read_only)
        TRY(bind_into(root, path, true));
    for (const auto& path : config.writable)
        TRY(bind_into(root, path, false));
    for (const auto& path : config.devices)
        TRY(make_device(root, path, config));
    // Its own /proc (this pid namespace only): the 9p server reopens fids through
    // /proc/self/fd, --stats reads /proc/self/status.
    TRY(make_dirs(root + "/proc"));
    if (::mount("proc", (root + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                nullptr) < 0)
        return jail_error("mount /proc");
    // pivot_root(".", "."): the old root ends up stacked under the new one; detach it.
    if (::chdir(root.c_str()) < 0)
        return jail_error("chdir " + root);
    if (::syscall(SYS_pivot_root, ".", ".") == 0) {
        if (::umount2(".", MNT_DETACH) < 0)
            return jail_error("detach the old root");
    } else if (errno == EINVAL) {
        // The host runs from its initramfs (rootfs cannot be pivoted away): move the new
        // root over "/" and chroot into it, as switch_root does. The old root is then
        // unreachable by any path, and the dropped uid has no CAP_SYS_CHROOT to escape.
        if (::mount(".", "/", nullptr, MS_MOVE, nullptr) < 0)
            return jail_error("move the new root over /");
        if (::chroot(".") < 0)
            return jail_error("chroot");
    } else {
        return jail_error("pivot_root");
    }
    if (::chdir("/") < 0)
        return jail_error("chdir /");
    if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, nullptr) < 0)
        return jail_error("make the root read-only");
    return {};
}

Result<void> drop_privileges(const JailConfig& config) {
    rlimit files{config.max_open_files, config.max_open_files};
    if (::setrlimit(RLIMIT_NOFILE, &files) < 0)
        return jail_error("RLIMIT_NOFILE");
    if (config.max_file_size) {
        rlimit size{config.max_file_size, config.max_file_size};
        if (::setrlimit(RLIMIT_FSIZE, &size) < 0)
            return jail_error("RLIMIT_FSIZE");
        std::signal(SIGXFSZ, SIG_IGN); // a write past the limit fails with EFBIG instead
    }
    if (config.gid || config.uid) {
        gid_t gid = config.gid.value_or(*config.uid);
        if (::setgroups(0, nullptr) < 0 || ::setresgid(gid, gid, gid) < 0)
            return jail_error("setgid " + std::to_string(gid));
    }
    if (config.uid && ::setresuid(*config.uid, *config.uid, *config.uid) < 0)
        return jail_error("setuid " + std::to_string(*config.uid));
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return jail_error("no_new_privs");
    return {};
}

// The parent outside: forwards the stop signals and SIGUSR2, exits like the child.
[[noreturn]] void supervise(pid_t child, const sigset_t& waited) {
    for (;;) {
        siginfo_t info{};
        int sig = ::sigwaitinfo(&waited, &info);
        if (sig < 0 || sig == SIGCHLD) {
            int status = 0;
            pid_t r = ::waitpid(child, &status, WNOHANG);
            if (r == child)
                ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            if (r < 0 && errno == ECHILD)
                ::_exit(to_int(ExitCode::Internal));
            continue;
        }
        ::kill(child, sig);
    }
}

} // namespace

Result<void> enter_jail(const JailConfig& config) {
    if (config.dir.empty() || config.dir[0] != '/')
        return fail(ExitCode::Usage, "--jail: the directory must be an absolute path");
    // Nothing inherited reaches the VM: only stdin, stdout and stderr stay open.
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) < 0)
        for (int fd = 3; fd < 1024; fd++)
            ::close(fd);
    if (::mkdir(config.dir.c_str(), 0700) < 0 && errno != EEXIST)
        return jail_error("mkdir " + config.dir);
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    if (config.new_network)
        flags |= CLONE_NEWNET;
    if (::unshare(flags) < 0)
        return jail_error("new namespaces");

    sigset_t waited, old;
    sigemptyset(&waited);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR2, SIGCHLD})
        sigaddset(&waited, sig);
    ::sigprocmask(SIG_BLOCK, &waited, &old);
    pid_t child = ::fork();
    if (child < 0)
        return fail_errno("--jail: fork", errno, ExitCode::HostResource);
    if (child > 0)
        supervise(child, waited);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    // The parent's death ends the VM too (the parent forwards every stop signal).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);

    TRY(build_root(config));
    if (::sethostname("vmm", 3) < 0)
        LOG_WARN("--jail: sethostname: %s", std::strerror(errno));
    TRY(drop_privileges(config));
    return {};
}

} // namespace hyper::sandbox
