#include <doctest/doctest.h>

#include <cstring>

#include "boot/kernel.hpp"

using namespace hyper;
using namespace hyper::boot;

namespace {

constexpr uint64_t k_base = 0x80000000;

GuestMemory ram(uint64_t size = 64 << 20) {
    std::pair<uint64_t, uint64_t> ranges[] = {{k_base, size}};
    return std::move(GuestMemory::create(ranges).value());
}

void put64(std::vector<uint8_t>& f, size_t off, uint64_t v) {
    std::memcpy(f.data() + off, &v, 8);
}

// A synthetic Image: the header, then a recognisable body.
std::vector<uint8_t> make_image(uint64_t text_offset, uint64_t image_size, size_t file_size = 8192,
                                uint64_t flags = 0x2) {
    std::vector<uint8_t> f(file_size);
    for (size_t i = 0x40; i < f.size(); i++)
        f[i] = static_cast<uint8_t>(i * 7 + 3);
    put64(f, 0x08, text_offset);
    put64(f, 0x10, image_size);
    put64(f, 0x18, flags);
    uint32_t magic = 0x644d5241;
    std::memcpy(f.data() + 0x38, &magic, 4);
    return f;
}

} // namespace

TEST_CASE("arm64 Image: copied to the base + text_offset, entered at its first byte") {
    auto mem = ram();
    auto file = make_image(0x80000, 1 << 20);
    auto k = load_arm64_image(mem, file, k_base);
    REQUIRE(k);
    CHECK(k->format == KernelFormat::Arm64Image);
    CHECK(k->load_addr == k_base + 0x80000);
    CHECK(k->entry == k_base + 0x80000);
    CHECK(k->load_end == k_base + 0x80000 + (1 << 20));
    std::vector<uint8_t> back(file.size());
    REQUIRE(mem.read(GuestAddress(k_base + 0x80000), back));
    CHECK(back == file);
}

TEST_CASE("arm64 Image: text_offset 0 (Linux 5.10 and later)") {
    auto mem = ram();
    auto k = load_arm64_image(mem, make_image(0, 2 << 20), k_base);
    REQUIRE(k);
    CHECK(k->entry == k_base);
    CHECK(k->load_end == k_base + (2 << 20));
}

TEST_CASE("arm64 Image: bad headers are refused with BadImage") {
    auto mem = ram();
    auto no_magic = make_image(0, 1 << 20);
    no_magic[0x38] = 0;
    auto r = load_arm64_image(mem, no_magic, k_base);
    REQUIRE(!r);
    CHECK(r.error().exit_code() == ExitCode::BadImage);
    CHECK(!load_arm64_image(mem, std::vector<uint8_t>(0x3f), k_base));
    CHECK(load_arm64_image(mem, make_image(0, 0), k_base).error().exit_code() ==
          ExitCode::BadImage);
    CHECK(load_arm64_image(mem, make_image(0, 1 << 20, 8192, 0x3), k_base).error().exit_code() ==
          ExitCode::BadImage); // big-endian
    CHECK(load_arm64_image(mem, make_image(0, 4096, 8192), k_base).error().exit_code() ==
          ExitCode::BadImage); // image_size below the file size
    CHECK(load_arm64_image(mem, make_image(2 << 20, 1 << 20), k_base).error().exit_code() ==
          ExitCode::BadImage); // text_offset not below 2 MiB
    CHECK(load_arm64_image(mem, make_image(0, UINT64_MAX), k_base).error().exit_code() ==
          ExitCode::Usage); // does not fit
}

TEST_CASE("arm64 Image: a kernel larger than RAM is a usage error") {
    auto mem = ram(4 << 20);
    auto r = load_arm64_image(mem, make_image(0, 8 << 20), k_base);
    REQUIRE(!r);
    CHECK(r.error().exit_code() == ExitCode::Usage);
}
