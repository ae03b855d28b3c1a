#include "vmm/jail_setup.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>

#include "base/fd.hpp"
#include "sandbox/jail.hpp"

namespace hyper {

namespace {

constexpr uint64_t k_min_file_size_limit = 4ull << 30;

// The absolute, symlink-free form of an existing path.
Result<std::string> absolute(const std::string& path) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf))
        return fail_errno(path, errno, ExitCode::NoInput);
    return std::string(buf);
}

uint64_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

} // namespace

Result<void> enter_vm_jail(VmConfig& config) {
    if (config.jail_dir.empty())
        return {};
    sandbox::JailConfig jail;
    jail.dir = config.jail_dir;
    jail.uid = config.jail_uid;
    jail.gid = config.jail_gid;
    config.kernel = TRY(absolute(config.kernel));
    jail.read_only.push_back(config.kernel);
    if (!config.initrd.empty()) {
        config.initrd = TRY(absolute(config.initrd));
        jail.read_only.push_back(config.initrd);
    }
    uint64_t largest = 0;
    for (auto& disk : config.disks) {
        disk.path = TRY(absolute(disk.path));
        (disk.read_only ? jail.read_only : jail.writable).push_back(disk.path);
        largest = std::max(largest, file_size(disk.path));
    }
    for (auto& share : config.shares) {
        share.path = TRY(absolute(share.path));
        (share.read_only ? jail.read_only : jail.writable).push_back(share.path);
    }
    if (config.vsock) {
        // The socket is created inside, in its host directory, bound read-write.
        std::string& uds = config.vsock->uds;
        size_t slash = uds.rfind('/');
        std::string dir = slash == std::string::npos ? "." : uds.substr(0, slash ? slash : 1);
        std::string name = slash == std::string::npos ? uds : uds.substr(slash + 1);
        dir = TRY(absolute(dir));
        uds = (dir == "/" ? "" : dir) + "/" + name;
        jail.writable.push_back(dir);
    }
    if (config.console.kind == ConsoleConfig::Kind::File) {
        // Created (not truncated) here so it can be bound; Console::open truncates it.
        Fd file(::open(config.console.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        if (!file.valid())
            return fail_errno("--console: cannot create " + config.console.path, errno,
                              ExitCode::CantCreate);
        config.console.path = TRY(absolute(config.console.path));
        jail.writable.push_back(config.console.path);
    }
    jail.devices.push_back("/dev/kvm");
    if (config.net)
        jail.devices.push_back("/dev/net/tun");
    jail.max_file_size = std::max(largest, k_min_file_size_limit);
    return sandbox::enter_jail(jail);
}

} // namespace hyper
