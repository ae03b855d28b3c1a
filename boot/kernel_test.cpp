#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "boot/cmdline.hpp"
#include "boot/kernel.hpp"
#include "boot/test_images.hpp"

using namespace hyper;
using namespace hyper::boot;
using hyper::boot::test::make_bzimage;
using hyper::boot::test::make_vmlinux;

namespace {

GuestMemory ram(uint64_t size = 64 << 20) {
    std::pair<uint64_t, uint64_t> ranges[] = {{0, size}};
    return std::move(GuestMemory::create(ranges).value());
}

std::vector<uint8_t> pattern(size_t size) {
    std::vector<uint8_t> v(size);
    for (size_t i = 0; i < size; ++i)
        v[i] = static_cast<uint8_t>(i * 31 + 7);
    return v;
}

} // namespace

TEST_CASE("load_kernel picks the format by its magic") {
    auto mem = ram();
    auto bz = load_kernel(mem, make_bzimage());
    REQUIRE(bz);
    CHECK(bz->format == KernelFormat::BzImage);
    auto elf = load_kernel(mem, make_vmlinux(true));
    REQUIRE(elf);
    CHECK(elf->format == KernelFormat::Elf);

    for (auto file : {std::vector<uint8_t>{}, std::vector<uint8_t>{0x7f, 'E'},
                      std::vector<uint8_t>(4096, 0x90)}) {
        auto k = load_kernel(mem, file);
        REQUIRE_FALSE(k);
        CHECK(k.error().exit_code() == ExitCode::BadImage);
        CHECK(k.error().message().find("not a kernel") != std::string::npos);
    }
    // a truncated ELF is still judged as an ELF
    auto v = make_vmlinux(false);
    auto k = load_kernel(mem, std::span(v.data(), 40));
    REQUIRE_FALSE(k);
    CHECK(k.error().message().find("ELF64 header") != std::string::npos);
}

TEST_CASE("load_initrd puts the initrd at the top of low RAM, page aligned") {
    auto mem = ram(64 << 20);
    auto kernel = load_kernel(mem, make_vmlinux(false)).value();
    auto initrd = pattern(0x12345);
    auto placed = load_initrd(mem, kernel, initrd);
    REQUIRE(placed);
    CHECK(placed->size == 0x12345);
    CHECK(placed->addr % 4096 == 0);
    CHECK(placed->addr + placed->size <= (64u << 20));
    CHECK(placed->addr + placed->size > (64u << 20) - 4096); // as high as it goes
    std::vector<uint8_t> got(initrd.size());
    REQUIRE(mem.read(GuestAddress(placed->addr), got));
    CHECK(got == initrd);

    // initrd_addr_max below the end of RAM caps it
    kernel.initrd_addr_max = 0x1ffffff;
    placed = load_initrd(mem, kernel, initrd);
    REQUIRE(placed);
    CHECK(placed->addr + placed->size <= 0x2000000);
    CHECK(placed->addr == ((0x2000000 - 0x12345) & ~0xfffull));

    // it never goes below the end of the kernel
    kernel.initrd_addr_max = 0x1010000;
    placed = load_initrd(mem, kernel, initrd);
    REQUIRE_FALSE(placed);
    CHECK(placed.error().exit_code() == ExitCode::Usage);
    CHECK(placed.error().message().find("does not fit") != std::string::npos);
}

TEST_CASE("load_initrd stays in the kernel's region and fails when RAM is short") {
    // the region above 4 GiB is never used
    std::pair<uint64_t, uint64_t> ranges[] = {{0, 32 << 20}, {4ull << 30, 64 << 20}};
    auto mem = std::move(GuestMemory::create(ranges).value());
    auto kernel = load_kernel(mem, make_bzimage()).value();
    auto placed = load_initrd(mem, kernel, pattern(0x100000));
    REQUIRE(placed);
    CHECK(placed->addr + placed->size <= (32u << 20));
    CHECK(placed->addr >= kernel.load_end);

    auto big = load_initrd(mem, kernel, std::vector<uint8_t>(40 << 20));
    REQUIRE_FALSE(big);
    CHECK(big.error().exit_code() == ExitCode::Usage);
    auto empty = load_initrd(mem, kernel, {});
    REQUIRE_FALSE(empty);
    CHECK(empty.error().message() == "initrd is empty");
}

TEST_CASE("write_cmdline writes a NUL-terminated line and enforces the limits") {
    auto mem = ram(1 << 20);
    auto placed = write_cmdline(mem, GuestAddress(0x20000), 0x10000, 2047, "console=ttyS0");
    REQUIRE(placed);
    CHECK(placed->addr == 0x20000);
    CHECK(placed->size == 13);
    char got[14];
    REQUIRE(mem.read(GuestAddress(0x20000), std::span(reinterpret_cast<uint8_t*>(got), 14)));
    CHECK(std::string(got) == "console=ttyS0");

    CHECK(write_cmdline(mem, GuestAddress(0x20000), 0x10000, 2047, std::string(2047, 'a')));
    auto too_long =
        write_cmdline(mem, GuestAddress(0x20000), 0x10000, 2047, std::string(2048, 'a'));
    REQUIRE_FALSE(too_long);
    CHECK(too_long.error().exit_code() == ExitCode::Usage);
    CHECK(too_long.error().message().find("at most 2047") != std::string::npos);
    CHECK_FALSE(write_cmdline(mem, GuestAddress(0x20000), 16, 2047, std::string(16, 'a')));
    CHECK_FALSE(write_cmdline(mem, GuestAddress(0x20000), 0x10000, 2047, std::string("a\0b", 3)));
    CHECK_FALSE(write_cmdline(mem, GuestAddress((1 << 20) - 2), 0x10000, 2047, "abc"));
}

// Real kernels, when this machine has them: Debian's /boot/vmlinuz-* and the hyper
// guest kernel build (guest/kernel/build.sh).
TEST_CASE("real kernels on this machine load") {
    namespace fs = std::filesystem;
    std::vector<fs::path> paths;
    std::error_code ec;
    for (const auto& dir : {fs::path("/boot"), fs::path("/root/.cache/hyper")}) {
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            auto name = e.path().filename().string();
            if (name.rfind("vmlinuz-", 0) == 0)
                paths.push_back(e.path());
            if (name.rfind("kernel-x86_64-", 0) == 0)
                for (const char* f : {"bzImage", "vmlinux"})
                    if (fs::exists(e.path() / f))
                        paths.push_back(e.path() / f);
        }
    }
    for (const auto& path : paths) {
        std::ifstream in(path, std::ios::binary);
        if (!in)
            continue; // not readable here
        std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
        INFO(path.string());
        auto mem = ram(512 << 20);
        auto k = load_kernel(mem, file);
        REQUIRE(k);
        if (path.filename() == "vmlinux") {
            CHECK(k->format == KernelFormat::Elf);
            CHECK(k->entry_mode == EntryMode::Pvh32); // the guest config has CONFIG_PVH
            CHECK(k->entry >= k->load_addr);
            CHECK(k->entry < k->load_end);
        } else {
            CHECK(k->format == KernelFormat::BzImage);
            CHECK(k->protocol_version >= 0x020c);
            CHECK(k->cmdline_size >= 255);
        }
        CHECK(load_initrd(mem, *k, pattern(1 << 20)));
    }
}

TEST_CASE("randomly corrupted kernels load or fail cleanly, never touch memory outside RAM") {
    auto mem = ram(32 << 20);
    uint64_t seed = 0x9e3779b97f4a7c15;
    auto next = [&] {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return seed;
    };
    for (const auto& good : {make_bzimage(), make_vmlinux(true)}) {
        for (int round = 0; round < 2000; ++round) {
            auto f = good;
            // corrupt a few bytes, mostly in the headers
            for (int i = 0; i < 4; ++i) {
                size_t at = next() % (next() % 2 ? 0x300 : f.size());
                f[at] = static_cast<uint8_t>(next());
            }
            auto k = load_kernel(mem, f);
            if (k) {
                CHECK(k->load_end > k->load_addr);
                CHECK(mem.contains(GuestAddress(k->load_addr), k->load_end - k->load_addr));
            } else {
                CHECK(k.error().exit_code() != ExitCode::Internal);
            }
        }
    }
}
