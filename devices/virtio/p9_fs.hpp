#pragma once
// Host file-system primitives of the 9P server, all confined to the share root.
//
// Confinement rules (see p9_server.hpp):
//  * a name from the guest is one component: non-empty, at most 255 bytes, no '/', no
//    NUL, never "." or ".." (valid_name);
//  * every lookup is openat2() of ONE component relative to a directory fd that itself
//    came from such a lookup, with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
//    RESOLVE_NO_MAGICLINKS and O_NOFOLLOW: a symlink is never followed by the server,
//    it is opened as itself (O_PATH) and handed back as a symlink;
//  * an O_PATH fd is turned into an I/O fd only for regular files and directories, by
//    reopening our own fd through /proc/self/fd (the inode we already hold; no lookup).
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

#include "base/fd.hpp"
#include "devices/virtio/p9_wire.hpp"

namespace hyper::p9 {

constexpr size_t k_max_name = 255;

bool valid_name(std::string_view name);

// openat2(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, resolve confined). Returns the fd
// or -errno. `name` must have passed valid_name().
int open_beneath(int dirfd, std::string_view name, int flags, mode_t mode = 0);

// Opens `components` one at a time from `root` (O_PATH). Empty: a new fd on the root.
int open_path(int root, const std::vector<std::string>& components);

// lstat of the object an fd (O_PATH or not) refers to. 0 or -errno.
int stat_fd(int fd, struct stat& st);
int stat_at(int dirfd, std::string_view name, struct stat& st); // no follow

Qid make_qid(const struct stat& st);

// An I/O fd on the regular file or directory `path_fd` refers to; -errno otherwise
// (ELOOP for a symlink, ENXIO for fifos, sockets and device nodes).
int reopen(int path_fd, int flags);
// "/proc/self/fd/N": for chmod/truncate on what an O_PATH fd holds (regular or dir only).
std::string proc_path(int fd);

// 9P2000.L open flags (P9_DOTL_*) to host flags; O_CREAT/O_EXCL/O_NOCTTY/O_CLOEXEC and
// unsupported bits dropped (the caller adds what it means).
int host_open_flags(uint32_t dotl);

} // namespace hyper::p9
