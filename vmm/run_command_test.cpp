#include "vmm/run_command.hpp"

#include <cstdlib>
#include <doctest/doctest.h>

using namespace hyper;

namespace {
Result<std::optional<RunRequest>> parse(std::vector<std::string> args) {
    args.insert(args.begin(), {"vmm", "run"});
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    return parse_run_args(static_cast<int>(argv.size()), argv.data());
}

image::ImageConfig sample_image() {
    image::ImageConfig c;
    c.name = "example.com/My_App";
    c.exec = {"/bin/app"};
    c.default_args = {"--default"};
    c.env = {"A=1", "B=2"};
    c.user = "nobody";
    c.working_dir = "/srv";
    c.mount_points = {{"data", "/data", false}, {"conf", "/etc/app", true}};
    return c;
}
} // namespace

TEST_CASE("vmm run: image first, vm options, run options, app arguments") {
    auto r = parse({"app.aci", "--memory", "128", "--volume", "data=/srv/data,readonly=on",
                    "--env=X=1", "--", "--flag-for-the-app", "--volume", "x"});
    REQUIRE(r);
    REQUIRE(*r);
    CHECK((*r)->image == "app.aci");
    CHECK((*r)->vm_args == std::vector<std::string>{"--memory", "128"});
    REQUIRE((*r)->volumes.size() == 1);
    CHECK((*r)->volumes[0].name == "data");
    CHECK((*r)->volumes[0].host_dir == "/srv/data");
    CHECK((*r)->volumes[0].read_only);
    CHECK((*r)->env == std::vector<std::string>{"X=1"});
    CHECK((*r)->app_args == std::vector<std::string>{"--flag-for-the-app", "--volume", "x"});

    CHECK_FALSE(parse({"--memory", "128", "app.aci"})); // the image comes first
    CHECK_FALSE(parse({"app.aci", "--volume", "data"}));
    CHECK_FALSE(parse({"app.aci", "--volume", "Bad Name=/x"}));
    CHECK_FALSE(parse({"app.aci", "--env", "NOVALUE"}));
    CHECK_FALSE(parse({"app.aci", "--initrd", "x.cpio"}));
    auto help = parse({"--help"});
    REQUIRE(help);
    CHECK_FALSE(*help);
}

TEST_CASE("vmm run: the run spec joins the image config and the command line") {
    RunRequest request;
    request.env = {"B=override", "C=3"};
    request.volumes = {{"data", "/host/data", false}, {"/mnt/extra", "/host/extra", true}};
    VmConfig vm;
    vm.console.kind = ConsoleConfig::Kind::None;
    vm.net = NetConfig{"tap0", std::nullopt, "10.0.0.2/24", "10.0.0.1"};
    auto spec = make_run_spec(sample_image(), request, vm);
    REQUIRE(spec);
    CHECK(spec->argv == std::vector<std::string>{"/bin/app", "--default"});
    CHECK(spec->env == std::vector<std::string>{"A=1", "B=override", "C=3"});
    CHECK(spec->user == "nobody");
    CHECK(spec->working_dir == "/srv");
    CHECK(spec->hostname == "my-app");
    CHECK(spec->ip == "10.0.0.2/24");
    CHECK(spec->gateway == "10.0.0.1");
    REQUIRE(spec->volumes.size() == 2);
    CHECK(spec->volumes[0].tag == "data");
    CHECK(spec->volumes[0].path == "/data");
    CHECK(spec->volumes[1].tag == "vol1");
    CHECK(spec->volumes[1].path == "/mnt/extra");
    CHECK(spec->volumes[1].read_only);
    REQUIRE(vm.shares.size() == 2);
    CHECK(vm.shares[0].path == "/host/data");
    CHECK(vm.shares[0].tag == "data");
    CHECK(vm.shares[1].read_only);

    // arguments after -- replace the default ones
    request.volumes.clear();
    request.app_args = {"--mine"};
    VmConfig vm2;
    auto spec2 = make_run_spec(sample_image(), request, vm2);
    REQUIRE(spec2);
    CHECK(spec2->argv == std::vector<std::string>{"/bin/app", "--mine"});

    // a volume for a mount point the image does not have
    request.volumes = {{"nope", "/x", false}};
    auto bad = make_run_spec(sample_image(), request, vm2);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("data, conf") != std::string::npos);

    // nothing to run
    auto empty = sample_image();
    empty.exec.clear();
    empty.default_args.clear();
    RunRequest none;
    CHECK_FALSE(make_run_spec(empty, none, vm2));
}

TEST_CASE("vmm run: the default kernel") {
    const char* saved_kernel = std::getenv("HYPER_KERNEL");
    const char* saved_cache = std::getenv("HYPER_CACHE");
    std::string keep_kernel = saved_kernel ? saved_kernel : "";
    std::string keep_cache = saved_cache ? saved_cache : "";
    ::setenv("HYPER_KERNEL", "/some/bzImage", 1);
    CHECK(default_kernel() == std::string("/some/bzImage"));
    ::unsetenv("HYPER_KERNEL");
    ::setenv("HYPER_CACHE", "/nonexistent-hyper-cache", 1);
    auto none = default_kernel();
    REQUIRE_FALSE(none);
    CHECK(none.error().exit_code() == ExitCode::NoInput);
    CHECK(none.error().message().find("guest/kernel/build.sh") != std::string::npos);
    if (saved_kernel)
        ::setenv("HYPER_KERNEL", keep_kernel.c_str(), 1);
    if (saved_cache)
        ::setenv("HYPER_CACHE", keep_cache.c_str(), 1);
    else
        ::unsetenv("HYPER_CACHE");
}
