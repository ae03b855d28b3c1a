// hyper's guest init: PID 1 of a VM that runs one container image (vmm run).
//
// It mounts the pseudo file systems, sets the hostname, brings up lo and eth0, mounts the
// 9p volumes, switches to the app's user, groups and working directory, runs the app,
// forwards signals to it, reaps orphans, and when the app ends reports its exit status
// (128+N for signal N) to the VMM through the control page (devices/control.hpp), syncs,
// and stops the VM. What to run comes from /.hyper/run (image/run_spec.hpp), which the
// VMM loads in a cpio of its own after the image's.
//
// Static, no libraries beyond libc, no shell, no busybox: it must work in any image.
// A problem before the app starts is printed as "hyper-init: error: ..." and the VM
// stops without a status (vmm then exits 82).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

#if defined(__x86_64__)
#define CONTROL_ADDR 0xc0000000UL // arch/x86_64/layout.hpp k_control_page_addr
#elif defined(__aarch64__)
#define CONTROL_ADDR 0x0b001000UL // arch/aarch64/layout.hpp k_control_page_addr
#else
#error "no control page address for this architecture"
#endif
#define CONTROL_BOOT_MARK 0x00
#define CONTROL_MAGIC 0x04
#define CONTROL_EXIT_STATUS 0x08
#define CONTROL_POWER_OFF 0x0c
#define CONTROL_SIGNAL 0x10
#define CONTROL_MAGIC_VALUE 0x52505948u // "HYPR"
#define BOOT_MARK_INIT 123

static volatile uint8_t* control;

void say(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t r = write(2, buf, (size_t)n);
    (void)r;
}

static void map_control_page(void) {
    int fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
    if (fd < 0) {
        say("hyper-init: warning: /dev/mem: %s (no exit status will reach the VMM)",
            strerror(errno));
        return;
    }
    void* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, CONTROL_ADDR);
    close(fd);
    if (p == MAP_FAILED) {
        say("hyper-init: warning: mapping the control page: %s", strerror(errno));
        return;
    }
    control = p;
    if (*(volatile uint32_t*)(control + CONTROL_MAGIC) != CONTROL_MAGIC_VALUE) {
        say("hyper-init: warning: no hyper control page (not running under vmm?)");
        munmap(p, 4096);
        control = NULL;
    }
}

// Stops the VM. With a status, the VMM exits with it; without, vmm reports that the
// guest stopped without one.
_Noreturn static void stop_vm(int have_status, int status) {
    sync();
    if (control && have_status)
        *(volatile uint32_t*)(control + CONTROL_EXIT_STATUS) = (uint32_t)status;
    if (control)
        *(volatile uint32_t*)(control + CONTROL_POWER_OFF) = 1;
    reboot(RB_AUTOBOOT); // not reached under vmm; elsewhere the i8042 reset stops it
    for (;;)
        pause();
}

_Noreturn void fatal(const char* fmt, ...) {
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    say("hyper-init: error: %s", buf);
    stop_vm(0, 0);
}

int mkdirs(const char* path, mode_t mode) {
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return -1;
        buf[i] = saved;
    }
    return 0;
}

static void mount_fs(const char* source, const char* target, const char* type, unsigned long flags,
                     const char* data, mode_t mode) {
    mkdirs(target, mode);
    if (mount(source, target, type, flags, data) != 0 && errno != EBUSY)
        say("hyper-init: warning: mounting %s on %s: %s", type, target, strerror(errno));
}

static void mount_pseudo_filesystems(void) {
    const unsigned long nodev = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    mount_fs("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 0755);
    // from here on the console exists
    int fd = open("/dev/console", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    mount_fs("proc", "/proc", "proc", nodev, NULL, 0555);
    mount_fs("sysfs", "/sys", "sysfs", nodev, NULL, 0555);
    mount_fs("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666",
             0755);
    if (access("/dev/ptmx", F_OK) != 0)
        symlink("pts/ptmx", "/dev/ptmx");
    mount_fs("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777);
    mount_fs("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777);
    mount_fs("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0755);
}

static void mount_volumes(const struct run_spec* spec) {
    for (int i = 0; i < spec->nvolumes; i++) {
        const struct volume* v = &spec->volumes[i];
        if (mkdirs(v->path, 0755) != 0)
            fatal("volume %s: creating %s: %s", v->tag, v->path, strerror(errno));
        unsigned long flags = MS_NOSUID | MS_NODEV | (v->read_only ? MS_RDONLY : 0);
        if (mount(v->tag, v->path, "9p", flags,
                  "trans=virtio,version=9p2000.L,msize=524288,access=client") != 0)
            fatal("volume %s: mounting it on %s: %s", v->tag, v->path, strerror(errno));
    }
}

// The app in its own session (and process group), as the user it asked for.
static pid_t start_app(const struct run_spec* spec, const struct identity* who, const char* path) {
    pid_t pid = fork();
    if (pid < 0)
        fatal("fork: %s", strerror(errno));
    if (pid > 0)
        return pid;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    if (!spec->interactive) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, 0);
            if (null > 0)
                close(null);
        }
    }
    if (setgroups_for(who) != 0 || setgid(who->gid) != 0 || setuid(who->uid) != 0) {
        say("hyper-init: error: switching to uid %u gid %u: %s", who->uid, who->gid,
            strerror(errno));
        _exit(126);
    }
    if (chdir(spec->workdir ? spec->workdir : "/") != 0) {
        say("hyper-init: error: working directory %s: %s", spec->workdir, strerror(errno));
        _exit(126);
    }
    execve(path, spec->argv, spec->envp);
    int err = errno;
    say("hyper-init: error: cannot run %s: %s", path, strerror(err));
    _exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

// Waits for the app, forwarding signals and reaping every child; returns its wait status.
static int supervise(pid_t app) {
    sigset_t all;
    sigfillset(&all);
    struct timespec tick = {0, 100 * 1000 * 1000};
    for (;;) {
        siginfo_t info;
        int sig = sigtimedwait(&all, &info, &tick);
        if (sig > 0 && sig != SIGCHLD)
            kill(app, sig);
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            if (pid == app)
                return status;
        if (control) {
            // a signal the VMM asks us to deliver (Ctrl-C on the host): to the app's
            // process group, as a terminal would
            uint32_t s = *(volatile uint32_t*)(control + CONTROL_SIGNAL);
            if (s > 0 && s < 65 && kill(-app, (int)s) != 0)
                kill(app, (int)s);
        }
    }
}

// What is left once the app is gone is stopped, so that it cannot hold files open.
static void stop_the_rest(void) {
    kill(-1, SIGKILL);
    struct timespec pause_ms = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 100; i++) {
        pid_t pid = waitpid(-1, NULL, WNOHANG);
        if (pid < 0 && errno == ECHILD)
            return;
        if (pid == 0)
            nanosleep(&pause_ms, NULL);
    }
}

int main(void) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    mount_pseudo_filesystems();
    map_control_page();
    if (control)
        control[CONTROL_BOOT_MARK] = BOOT_MARK_INIT;

    struct run_spec spec;
    read_run_spec("/.hyper/run", &spec);
    if (spec.hostname && sethostname(spec.hostname, strlen(spec.hostname)) != 0)
        say("hyper-init: warning: hostname %s: %s", spec.hostname, strerror(errno));
    setup_network(&spec);
    mount_volumes(&spec);
    struct identity who;
    resolve_identity(&spec, &who);
    finish_environment(&spec, &who);
    if (spec.workdir && mkdirs(spec.workdir, 0755) != 0)
        fatal("working directory %s: %s", spec.workdir, strerror(errno));
    const char* path = find_program(&spec);

    if (control) // the second boot mark (vmm --boot-timer): set-up done, the app starts
        control[CONTROL_BOOT_MARK] = BOOT_MARK_INIT;
    pid_t app = start_app(&spec, &who, path);
    int status = supervise(app);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    stop_the_rest();
    stop_vm(1, code);
}
