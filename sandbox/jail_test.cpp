// The jail, entered by a forked child (enter_jail's parent side exits like the jailed
// process): inside, only what was bound is there. Needs root; skipped otherwise.
#include <cstdlib>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/jail.hpp"

using namespace hyper;
using namespace hyper::sandbox;

namespace {

// Exit codes of the jailed child: 0 all as expected, else which check failed.
int jailed_checks(const std::string& bound, const std::string& hidden) {
    if (::access(bound.c_str(), R_OK) != 0)
        return 10; // the bound file is missing
    if (::access(hidden.c_str(), F_OK) == 0)
        return 11; // a host file is visible
    if (::access("/etc/passwd", F_OK) == 0)
        return 12;
    if (::getpid() != 1)
        return 13; // not pid 1 of a new pid namespace
    if (::getuid() != 65534 || ::getgid() != 65534)
        return 14;
    if (::open("/new-file", O_WRONLY | O_CREAT, 0644) >= 0)
        return 15; // the root is writable
    if (::fcntl(9, F_GETFD) >= 0)
        return 16; // an inherited fd survived
    return 0;
}

} // namespace

TEST_CASE("jail: the jailed process sees only what was bound, as the given user") {
    if (::geteuid() != 0)
        return; // namespaces and mounts need root
    char tmpl[] = "/tmp/hyper-jail-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    std::string base = tmpl;
    std::string bound = base + "/bound.txt";
    std::string hidden = base + "/hidden.txt";
    for (const auto& path : {bound, hidden}) {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT, 0644);
        REQUIRE(fd >= 0);
        ::close(fd);
    }
    JailConfig config;
    config.dir = base + "/root";
    config.uid = 65534;
    config.gid = 65534;
    config.read_only = {bound};
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(0, 9); // must not reach the jail
        auto entered = enter_jail(config);
        if (!entered) {
            // Namespaces refused (a container without CAP_SYS_ADMIN): say so by code.
            ::_exit(entered.error().exit_code() == ExitCode::NoPermission ? 77 : 20);
        }
        ::_exit(jailed_checks(bound, hidden));
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        MESSAGE("namespaces refused here: the jail was not checked");
    else
        CHECK(WEXITSTATUS(status) == 0);
    struct stat st {};
    CHECK(::stat((base + "/root").c_str(), &st) == 0); // left behind empty
    ::unlink(bound.c_str());
    ::unlink(hidden.c_str());
    ::rmdir((base + "/root").c_str());
    ::rmdir(base.c_str());
}
