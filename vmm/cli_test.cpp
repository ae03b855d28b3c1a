#include "vmm/cli.hpp"

#include <doctest/doctest.h>
#include <vector>

using namespace hyper;

namespace {
Result<std::optional<VmConfig>> parse(std::vector<std::string> args) {
    args.insert(args.begin(), "vmm");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    return parse_command_line(static_cast<int>(argv.size()), argv.data());
}
} // namespace

TEST_CASE("CLI parses a full command line") {
    auto r = parse({"--kernel", "k", "--initrd", "i", "--cpus", "2", "--memory", "512", "--console",
                    "file:/tmp/x", "--cmdline", "console=ttyS0 quiet"});
    REQUIRE(r);
    REQUIRE(*r);
    const VmConfig& c = **r;
    CHECK(c.kernel == "k");
    CHECK(c.initrd == "i");
    CHECK(c.cpus == 2);
    CHECK(c.memory_mib == 512);
    CHECK(c.console.kind == ConsoleConfig::Kind::File);
    CHECK(c.console.path == "/tmp/x");
    CHECK(c.cmdline == "console=ttyS0 quiet");
}

TEST_CASE("CLI defaults") {
    auto r = parse({"--kernel", "k"});
    REQUIRE(r);
    CHECK((*r)->cpus == 1);
    CHECK((*r)->memory_mib == 256);
    CHECK((*r)->cmdline == k_default_cmdline);
    CHECK((*r)->console.kind == ConsoleConfig::Kind::Stdio);
}

TEST_CASE("CLI rejects bad input with the usage exit code") {
    const std::vector<std::vector<std::string>> bad = {
        {}, // no --kernel
        {"--kernel", "k", "--cpus", "abc"},
        {"--kernel", "k", "--cpus", "0"},
        {"--kernel", "k", "--cpus", "300"},
        {"--kernel", "k", "--cpus", "2x"},
        {"--kernel", "k", "--memory", "-5"},
        {"--kernel", "k", "--memory", "16"},
        {"--kernel", "k", "--memory", "99999999999999999999999"},
        {"--kernel", "k", "--console", "tcp:1"},
        {"--kernel", "k", "--console", "file:"},
        {"--kernel", "k", "--log-level", "loud"},
        {"--kernel", "k", "--bogus"},
        {"--kernel", "k", "stray"},
        {"--kernel", "k", "--disk", "file.img"},
        {"--kernel", "k", "--disk", "path="},
        {"--kernel", "k", "--disk", "path=a,readonly=maybe"},
        {"--kernel", "k", "--disk", "path=a,serial=123456789012345678901"},
        {"--kernel", "k", "--disk", "path=a,cache=unsafe"},
        {"--kernel", "k", "--disk", "path=a,color=red"},
        {"--kernel", "k", "--disk", "readonly=on"},
        {"--kernel", "k", "--net", "mac=52:54:00:12:34:56"},
        {"--kernel", "k", "--net", "tap=waytoolonginterfacename"},
        {"--kernel", "k", "--net", "tap=t0,mac=53:54:00:12:34:56"},
        {"--kernel", "k", "--net", "tap=t0,mac=52:54:00:12:34"},
        {"--kernel", "k", "--net", "tap=t0,ip=10.0.0.256/24"},
        {"--kernel", "k", "--net", "tap=t0,ip=10.0.0.2/33"},
        {"--kernel", "k", "--net", "tap=t0,gw=10.0.0.1"},
        {"--kernel", "k", "--vsock", "cid=2,uds=/tmp/v"},
        {"--kernel", "k", "--share", "path=/srv"},
        {"--kernel", "k", "--share", "tag=data"},
        {"--kernel", "k", "--share", "path=/srv,tag=data,readonly=perhaps"},
        {"--kernel", "k", "--vsock", "cid=3"},
        {"--kernel", "k", "--vsock", "cid=x,uds=/tmp/v"},
    };
    for (const auto& args : bad) {
        auto r = parse(args);
        CAPTURE(args.size());
        REQUIRE_FALSE(r);
        CHECK(r.error().exit_code() == ExitCode::Usage);
    }
}

TEST_CASE("CLI parses --disk specs in order") {
    auto r = parse({"--kernel", "k", "--disk", "path=root.ext4", "--disk",
                    "path=data.img,readonly=on,serial=data0,cache=none"});
    REQUIRE(r);
    const auto& disks = (*r)->disks;
    REQUIRE(disks.size() == 2);
    CHECK(disks[0].path == "root.ext4");
    CHECK_FALSE(disks[0].read_only);
    CHECK_FALSE(disks[0].direct);
    CHECK(disks[1].path == "data.img");
    CHECK(disks[1].read_only);
    CHECK(disks[1].serial == "data0");
    CHECK(disks[1].direct);
}

TEST_CASE("CLI parses --net and --vsock") {
    auto r = parse({"--kernel", "k", "--net",
                    "tap=tap0,mac=52:54:00:12:34:56,ip=10.0.0.2/24,gw=10.0.0.1", "--vsock",
                    "cid=7,uds=/run/vm1.vsock"});
    REQUIRE(r);
    const auto& net = (*r)->net;
    REQUIRE(net);
    CHECK(net->tap == "tap0");
    REQUIRE(net->mac);
    CHECK((*net->mac)[5] == 0x56);
    CHECK(net->ip == "10.0.0.2/24");
    CHECK(net->gateway == "10.0.0.1");
    REQUIRE((*r)->vsock);
    CHECK((*r)->vsock->cid == 7);
    CHECK((*r)->vsock->uds == "/run/vm1.vsock");
    auto plain = parse({"--kernel", "k", "--net", "tap=t1,ip=192.168.1.5"});
    REQUIRE(plain);
    CHECK((*plain)->net->ip == "192.168.1.5/24");
    CHECK_FALSE((*plain)->net->mac);
}

TEST_CASE("CLI parses --share") {
    auto r = parse({"--kernel", "k", "--share", "path=/srv/data,tag=data", "--share",
                    "path=/srv/conf,tag=conf,readonly=on"});
    REQUIRE(r);
    const auto& shares = (*r)->shares;
    REQUIRE(shares.size() == 2);
    CHECK(shares[0].path == "/srv/data");
    CHECK(shares[0].tag == "data");
    CHECK_FALSE(shares[0].read_only);
    CHECK(shares[1].read_only);
}

TEST_CASE("CLI parses --seccomp, --stats, --jail/--uid/--gid") {
    auto d = parse({"--kernel", "k"});
    REQUIRE(d);
    CHECK((*d)->seccomp == sandbox::SeccompMode::Kill);
    CHECK_FALSE((*d)->stats);
    CHECK((*d)->jail_dir.empty());
    auto r = parse({"--kernel", "k", "--seccomp=log", "--stats", "--jail", "/srv/jail", "--uid",
                    "1000", "--gid", "100"});
    REQUIRE(r);
    CHECK((*r)->seccomp == sandbox::SeccompMode::Log);
    CHECK((*r)->stats);
    CHECK((*r)->jail_dir == "/srv/jail");
    CHECK((*r)->jail_uid == 1000u);
    CHECK((*r)->jail_gid == 100u);
    for (auto bad :
         std::vector<std::vector<std::string>>{{"--kernel", "k", "--seccomp=on"},
                                               {"--kernel", "k", "--uid", "1000"},
                                               {"--kernel", "k", "--jail", "relative/dir"},
                                               {"--kernel", "k", "--jail", "/j", "--gid", "5"},
                                               {"--kernel", "k", "--jail", "/j", "--uid", "x"}}) {
        auto e = parse(bad);
        REQUIRE_FALSE(e);
        CHECK(e.error().exit_code() == ExitCode::Usage);
    }
}

TEST_CASE("CLI parses --acpi") {
    auto d = parse({"--kernel", "k"});
    REQUIRE(d);
    CHECK((*d)->acpi);
    auto off = parse({"--kernel", "k", "--acpi", "off"});
    REQUIRE(off);
    CHECK_FALSE((*off)->acpi);
    auto on = parse({"--kernel", "k", "--acpi=on"});
    REQUIRE(on);
    CHECK((*on)->acpi);
    auto bad = parse({"--kernel", "k", "--acpi", "yes"});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().exit_code() == ExitCode::Usage);
}
