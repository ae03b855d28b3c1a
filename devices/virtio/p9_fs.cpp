#include "devices/virtio/p9_fs.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hyper::p9 {

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > k_max_name || name == "." || name == "..")
        return false;
    return name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

int open_beneath(int dirfd, std::string_view name, int flags, mode_t mode) {
    std::string n(name);
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd;
    do {
        fd = ::syscall(SYS_openat2, dirfd, n.c_str(), &how, sizeof how);
    } while (fd < 0 && errno == EAGAIN);
    return fd < 0 ? -errno : static_cast<int>(fd);
}

int open_path(int root, const std::vector<std::string>& components) {
    int cur = ::fcntl(root, F_DUPFD_CLOEXEC, 0);
    if (cur < 0)
        return -errno;
    for (const auto& c : components) {
        int next = valid_name(c) ? open_beneath(cur, c, O_PATH) : -EINVAL;
        ::close(cur);
        if (next < 0)
            return next;
        cur = next;
    }
    return cur;
}

int stat_fd(int fd, struct stat& st) {
    return ::fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

int stat_at(int dirfd, std::string_view name, struct stat& st) {
    std::string n(name);
    return ::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

Qid make_qid(const struct stat& st) {
    Qid q;
    q.type = S_ISDIR(st.st_mode) ? k_qid_dir : S_ISLNK(st.st_mode) ? k_qid_symlink : k_qid_file;
    q.version = 0;
    q.path = static_cast<uint64_t>(st.st_ino);
    return q;
}

std::string proc_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

int reopen(int path_fd, int flags) {
    struct stat st {};
    if (int r = stat_fd(path_fd, st); r < 0)
        return r;
    if (S_ISLNK(st.st_mode))
        return -ELOOP;
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return -ENXIO;
    int fd = ::open(proc_path(path_fd).c_str(), (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int host_open_flags(uint32_t dotl) {
    int f = static_cast<int>(dotl & 3u);
    if (f == 3)
        f = O_RDONLY; // NOACCESS
    if (dotl & 01000)
        f |= O_TRUNC;
    if (dotl & 02000)
        f |= O_APPEND;
    if (dotl & 04000)
        f |= O_NONBLOCK;
    if (dotl & 010000)
        f |= O_DSYNC;
    if (dotl & 0200000)
        f |= O_DIRECTORY;
    if (dotl & 04000000)
        f |= O_SYNC;
    return f;
}

} // namespace hyper::p9
