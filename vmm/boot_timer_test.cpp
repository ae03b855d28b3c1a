#include "vmm/boot_timer.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace hyper;

TEST_CASE("boot timer: points in timeline order, guest marks before exit") {
    BootTimer t;
    t.mark_at(BootPoint::KernelLoaded, 900);
    t.mark_at(BootPoint::ArgsParsed, 120);
    t.mark_at(BootPoint::FirstKvmRun, 1000);
    t.mark_at(BootPoint::VmReady, 500);
    t.guest_mark_at(51000);
    t.guest_mark_at(73000);
    t.mark_at(BootPoint::Exit, 90000);
    CHECK(t.to_json() == "{\"boot_timer_us\":{\"args_parsed\":120,\"vm_ready\":500,"
                         "\"kernel_loaded\":900,\"first_kvm_run\":1000,"
                         "\"guest_marks\":[51000,73000],\"exit\":90000}}\n");
}

TEST_CASE("boot timer: first record wins, unreached points are left out") {
    BootTimer t;
    t.mark_at(BootPoint::ArgsParsed, 5);
    t.mark_at(BootPoint::ArgsParsed, 7);
    CHECK(t.to_json() == "{\"boot_timer_us\":{\"args_parsed\":5,\"guest_marks\":[]}}\n");
}

TEST_CASE("boot timer: guest marks past the bound are counted, not kept") {
    BootTimer t;
    for (int i = 0; i < int(BootTimer::k_max_guest_marks) + 3; i++)
        t.guest_mark_at(i);
    auto json = t.to_json();
    CHECK(json.find("\"guest_marks_dropped\":3") != std::string::npos);
    CHECK(json.find(",15]") != std::string::npos);
    CHECK(json.find(",16") == std::string::npos);
}

TEST_CASE("boot timer: marks from many threads, report writes one line to the fd") {
    BootTimer t;
    t.start();
    t.mark(BootPoint::ArgsParsed);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; i++)
        threads.emplace_back([&] {
            for (int j = 0; j < 4; j++)
                t.guest_mark();
        });
    for (auto& th : threads)
        th.join();
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    t.set_output(fds[1]);
    CHECK(t.enabled());
    t.report();
    t.report(); // once only
    char buf[1024] = {};
    ssize_t n = ::read(fds[0], buf, sizeof buf - 1);
    ::close(fds[0]);
    REQUIRE(n > 0);
    std::string line(buf, size_t(n));
    CHECK(line.rfind("{\"boot_timer_us\":{\"args_parsed\":", 0) == 0);
    CHECK(line.find("\"exit\":") != std::string::npos);
    CHECK(line.find("guest_marks_dropped") == std::string::npos);
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
    CHECK(std::count(line.begin(), line.end(), ',') == 16 + 1); // 16 marks + exit
}
