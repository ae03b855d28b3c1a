#include <doctest/doctest.h>

#include "boot/kernel.hpp"
#include "boot/test_images.hpp"

using namespace hyper;
using namespace hyper::boot;
using hyper::boot::test::BzImageSpec;
using hyper::boot::test::make_bzimage;
using hyper::boot::test::put;

namespace {

GuestMemory ram(uint64_t size = 64 << 20) {
    std::pair<uint64_t, uint64_t> ranges[] = {{0, size}};
    return std::move(GuestMemory::create(ranges).value());
}

// The load fails with `code` and a message containing `what`.
void check_rejected(const std::vector<uint8_t>& file, const std::string& what,
                    ExitCode code = ExitCode::BadImage) {
    INFO("expecting: " << what);
    auto mem = ram();
    auto k = load_bzimage(mem, file);
    REQUIRE_FALSE(k);
    INFO("message: " << k.error().message());
    CHECK(k.error().exit_code() == code);
    CHECK(k.error().message().find(what) != std::string::npos);
}

} // namespace

TEST_CASE("bzImage: the protected-mode kernel goes to 1 MiB, entered at +0x200") {
    auto file = make_bzimage();
    auto mem = ram();
    auto k = load_bzimage(mem, file);
    REQUIRE(k);
    CHECK(k->format == KernelFormat::BzImage);
    CHECK(k->entry_mode == EntryMode::Long64);
    CHECK(k->load_addr == 0x100000);
    CHECK(k->entry == 0x100200);
    CHECK(k->protocol_version == 0x020f);
    CHECK(k->initrd_addr_max == 0x7fffffff);
    CHECK(k->cmdline_size == 2047);
    // the decompressor needs init_size bytes at pref_address (16 MiB)
    CHECK(k->load_end == 0x1000000 + 0x400000);

    std::vector<uint8_t> loaded(0x3000);
    REQUIRE(mem.read(GuestAddress(0x100000), loaded));
    CHECK(std::equal(loaded.begin(), loaded.end(), file.begin() + 5 * 512));
    // nothing after the kernel was written
    CHECK(mem.read_obj<uint8_t>(GuestAddress(0x103000)) == 0);

    // the header is copied from 0x1f1 to 0x202 + byte at 0x201
    REQUIRE(k->setup_header.size() == 0x26c - 0x1f1);
    CHECK(std::equal(k->setup_header.begin(), k->setup_header.end(), file.begin() + 0x1f1));
}

TEST_CASE("bzImage: setup_sects 0 means 4, and load_end covers a big kernel") {
    BzImageSpec spec;
    spec.setup_sects = 0;
    spec.kernel_size = 0x10000;
    spec.init_size = 0x1000;
    spec.pref_address = 0;
    auto file = make_bzimage(spec);
    auto mem = ram();
    auto k = load_bzimage(mem, file);
    REQUIRE(k);
    CHECK(mem.read_obj<uint8_t>(GuestAddress(0x100000)) == file[5 * 512]);
    CHECK(k->load_end == 0x110000);
}

TEST_CASE("bzImage: malformed headers are rejected with the reason") {
    auto good = make_bzimage();

    check_rejected(std::vector<uint8_t>(good.begin(), good.begin() + 0x200), "too short");
    auto f = good;
    put(f, 0x1fe, 0x1234, 2);
    check_rejected(f, "missing boot flag 0xAA55");
    f = good;
    put(f, 0x202, 0x53726449, 4);
    check_rejected(f, "not a bzImage: missing HdrS magic");
    check_rejected(make_bzimage({.version = 0x0206}), "2.06 is too old");
    check_rejected(make_bzimage({.xloadflags = 0x2}), "no 64-bit entry point");
    check_rejected(make_bzimage({.loadflags = 0}), "LOADED_HIGH");
    check_rejected(make_bzimage({.header_jump = 0x40}), "setup header ends at 0x242");
    check_rejected(make_bzimage({.header_jump = 0xff}), "setup header ends at 0x301");
    check_rejected(make_bzimage({.kernel_alignment = 0x300000}), "not a power of two");
    check_rejected(make_bzimage({.kernel_alignment = 0}), "not a power of two");
    f = good;
    put(f, 0x1f4, 0x3010 / 16, 4); // syssize beyond the file
    check_rejected(f, "syssize");
    f = good;
    put(f, 0x258, UINT64_MAX - 10, 8);
    check_rejected(f, "pref_address");
}

TEST_CASE("bzImage: huge setup_sects and every truncation are rejected") {
    auto good = make_bzimage();
    auto f = good;
    put(f, 0x1f1, 255, 1); // setup would end at 128 KiB, past the 0x3a00-byte file
    check_rejected(f, "setup_sects 255");
    for (size_t len : {size_t{0}, size_t{1}, size_t{0x263}, size_t{0x400}, size_t{5 * 512},
                       size_t{5 * 512 + 1}, good.size() - 16, good.size() - 1}) {
        INFO("length " << len);
        auto mem = ram();
        auto k = load_bzimage(mem, std::span(good.data(), len));
        REQUIRE_FALSE(k);
        CHECK(k.error().exit_code() == ExitCode::BadImage);
    }
}

TEST_CASE("bzImage: a kernel larger than guest RAM is a usage error") {
    auto file = make_bzimage({.kernel_size = 0x200000});
    auto mem = ram(0x200000); // 2 MiB: 1 MiB left above the load address
    auto k = load_bzimage(mem, file);
    REQUIRE_FALSE(k);
    CHECK(k.error().exit_code() == ExitCode::Usage);
    CHECK(k.error().message().find("does not fit in guest RAM") != std::string::npos);
}

TEST_CASE("bzImage: RAM too small for the decompressed kernel is a usage error") {
    auto mem = ram(16 << 20); // the image fits at 1 MiB, but it decompresses at 16 MiB
    auto k = load_bzimage(mem, make_bzimage());
    REQUIRE_FALSE(k);
    CHECK(k.error().exit_code() == ExitCode::Usage);
    CHECK(k.error().message().find("decompresses into 0x1000000..0x1400000") != std::string::npos);
}
