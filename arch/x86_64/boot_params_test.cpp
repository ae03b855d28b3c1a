#include "arch/x86_64/boot_params.hpp"

#include <doctest/doctest.h>

#include "boot/test_images.hpp"

using namespace hyper;
using namespace hyper::x86;

namespace {

// A packed field, by value (doctest binds references).
template <typename T> T v(T x) {
    return x;
}
GuestMemory ram(uint64_t size = 64 << 20) {
    auto ranges = ram_ranges(size);
    return std::move(GuestMemory::create(ranges).value());
}
} // namespace

TEST_CASE("boot_params from a bzImage: its header, our loader type, cmdline, initrd, e820") {
    auto mem = ram();
    auto file = boot::test::make_bzimage();
    auto kernel = boot::load_kernel(mem, file).value();
    auto e820 = e820_map(64 << 20);
    boot::CmdlinePlacement cmdline{k_cmdline_addr, 13};
    boot::InitrdPlacement initrd{0x3000000, 0x12345};
    REQUIRE(write_boot_params(mem, kernel, cmdline, initrd, e820));

    auto bp = mem.read_obj<BootParams>(GuestAddress(k_zero_page_addr)).value();
    auto raw = reinterpret_cast<const uint8_t*>(&bp);
    // the header bytes are the file's, except the fields a loader writes
    for (size_t off = 0x1f1; off < 0x26c; ++off) {
        bool written =
            off == 0x210 || (off >= 0x218 && off < 0x220) || (off >= 0x228 && off < 0x22c);
        if (!written) {
            INFO("offset " << off);
            CHECK(raw[off] == file[off]);
        }
    }
    CHECK(v(bp.hdr.boot_flag) == 0xaa55);
    CHECK(v(bp.hdr.header) == k_hdrs_magic);
    CHECK(v(bp.hdr.version) == 0x020f);
    CHECK(v(bp.hdr.type_of_loader) == 0xff);
    CHECK(v(bp.hdr.cmd_line_ptr) == k_cmdline_addr);
    CHECK(v(bp.ext_cmd_line_ptr) == 0);
    CHECK(v(bp.hdr.ramdisk_image) == 0x3000000);
    CHECK(v(bp.hdr.ramdisk_size) == 0x12345);
    CHECK(v(bp.ext_ramdisk_image) == 0);
    CHECK(raw[0x1ef] == 0); // sentinel stays 0: boot_params is clean
    REQUIRE(bp.e820_entries == 3);
    for (size_t i = 0; i < 3; ++i) {
        CHECK(v(bp.e820_table[i].addr) == e820[i].addr);
        CHECK(v(bp.e820_table[i].size) == e820[i].size);
        CHECK(v(bp.e820_table[i].type) == static_cast<uint32_t>(e820[i].type));
    }
    // everything before the e820 count is zero
    for (size_t off = 0; off < 0x1e8; ++off)
        CHECK(raw[off] == 0);
}

TEST_CASE("boot_params for an ELF kernel get a minimal header") {
    boot::LoadedKernel kernel;
    kernel.format = boot::KernelFormat::Elf;
    kernel.initrd_addr_max = UINT64_MAX;
    boot::InitrdPlacement initrd{0x123456789000, 0x1000};
    auto bp = make_boot_params(kernel, {0x20000, 0}, initrd, {}).value();
    CHECK(v(bp.hdr.boot_flag) == 0xaa55);
    CHECK(v(bp.hdr.header) == 0x53726448);
    CHECK(v(bp.hdr.version) >= 0x020c);
    CHECK(v(bp.hdr.kernel_alignment) == 0x1000000);
    CHECK(v(bp.hdr.cmdline_size) == 2047);
    CHECK(v(bp.hdr.type_of_loader) == 0xff);
    CHECK(v(bp.hdr.setup_sects) == 0);
    // an initrd above 4 GiB uses the ext_ fields
    CHECK(v(bp.hdr.ramdisk_image) == 0x56789000);
    CHECK(v(bp.ext_ramdisk_image) == 0x1234);
    CHECK(v(bp.hdr.ramdisk_size) == 0x1000);
    CHECK(v(bp.e820_entries) == 0);
}

TEST_CASE("boot_params refuses what it cannot describe") {
    boot::LoadedKernel kernel; // initrd_addr_max 0xffffffff
    CHECK_FALSE(
        make_boot_params(kernel, {0x20000, 0}, boot::InitrdPlacement{0xfffff000, 0x2000}, {}));
    std::vector<E820Entry> many(129, E820Entry{0, 4096, E820Type::Ram});
    CHECK_FALSE(make_boot_params(kernel, {0x20000, 0}, std::nullopt, many));
    kernel.setup_header.assign(0x290 - 0x1f1 + 1, 0);
    CHECK_FALSE(make_boot_params(kernel, {0x20000, 0}, std::nullopt, {}));
    // the zero page must be in guest RAM
    std::pair<uint64_t, uint64_t> ranges[] = {{0x100000, 0x100000}};
    auto mem = std::move(GuestMemory::create(ranges).value());
    CHECK_FALSE(write_boot_params(mem, boot::LoadedKernel{}, {0x20000, 0}, std::nullopt, {}));
}
