#include "vmm/initrd_loader.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <unistd.h>

using namespace hyper;

TEST_CASE("initrd loader: the file and the pieces back to back, 4-byte aligned") {
    std::pair<uint64_t, uint64_t> ranges[] = {{0, 64 << 20}};
    auto mem = GuestMemory::create(ranges);
    REQUIRE(mem);
    // not fresh memory: the padding between the pieces must still come out zero
    auto all = mem->host_span(GuestAddress(0), 64 << 20);
    REQUIRE(all);
    std::fill(all->begin(), all->end(), 0xff);
    boot::LoadedKernel kernel;
    kernel.load_addr = 0x100000;
    kernel.load_end = 0x200000;
    char path[] = "/tmp/hyper-initrd-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "070701abc", 9) == 9); // 9 bytes: the next piece starts at 12
    ::close(fd);
    auto file = open_initrd(path, 1 << 20);
    REQUIRE(file);
    std::vector<std::vector<uint8_t>> extra = {{1, 2, 3, 4, 5}, {9}};
    auto placed = load_initrds(*mem, kernel, path, std::move(*file), extra);
    ::unlink(path);
    REQUIRE(placed);
    REQUIRE(*placed);
    CHECK((*placed)->size == 12 + 8 + 4);
    std::vector<uint8_t> got((*placed)->size);
    REQUIRE(mem->read(GuestAddress((*placed)->addr), got));
    std::vector<uint8_t> want = {'0', '7', '0', '7', '0', '1', 'a', 'b', 'c', 0, 0, 0,
                                 1,   2,   3,   4,   5,   0,   0,   0,   9,   0, 0, 0};
    CHECK(got == want);

    // nothing to load; a missing file; an empty file
    auto none = load_initrds(*mem, kernel, "", std::nullopt, {});
    REQUIRE(none);
    CHECK_FALSE(*none);
    auto missing = open_initrd("/nonexistent/initrd", 1 << 20);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().exit_code() == ExitCode::NoInput);
}
