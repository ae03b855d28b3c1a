#include "base/file.hpp"

#include <cstdio>
#include <cstdlib>
#include <doctest/doctest.h>
#include <unistd.h>

using namespace hyper;

TEST_CASE("map_file maps a whole file and refuses what read_file refuses") {
    char path[] = "/tmp/hyper-file-test-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    const char text[] = "kernel bytes";
    REQUIRE(::write(fd, text, sizeof text) == static_cast<ssize_t>(sizeof text));
    ::close(fd);

    auto mapped = map_file(path, "kernel", 1 << 20);
    REQUIRE(mapped);
    auto bytes = mapped->bytes();
    REQUIRE(bytes.size() == sizeof text);
    CHECK(std::string(reinterpret_cast<const char*>(bytes.data())) == text);
    auto read = read_file(path, "kernel", 1 << 20);
    REQUIRE(read);
    CHECK(std::equal(read->begin(), read->end(), bytes.begin(), bytes.end()));

    auto small = map_file(path, "kernel", 4);
    REQUIRE_FALSE(small);
    CHECK(small.error().exit_code() == ExitCode::NoInput);
    CHECK(small.error().message().find("larger than") != std::string::npos);

    REQUIRE(::truncate(path, 0) == 0);
    auto empty = map_file(path, "kernel", 1 << 20);
    REQUIRE(empty);
    CHECK(empty->bytes().empty());
    ::unlink(path);

    auto missing = map_file(path, "kernel", 1 << 20);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().exit_code() == ExitCode::NoInput);
    auto dir = map_file("/tmp", "kernel", 1 << 20);
    REQUIRE_FALSE(dir);
    CHECK(dir.error().message().find("not a regular file") != std::string::npos);
}
