#include "arch/x86_64/boot_setup.hpp"

#include <doctest/doctest.h>

#include <cstring>

#include "boot/test_images.hpp"

using namespace hyper;
using namespace hyper::x86;

namespace {

// A packed field, by value (doctest binds references).
template <typename T> T v(T x) {
    return x;
}

constexpr uint64_t k_ram = 128 << 20;

GuestMemory ram(uint64_t size = k_ram) {
    auto ranges = ram_ranges(size);
    return std::move(GuestMemory::create(ranges).value());
}

// The builder's sequence, as in boot_setup.hpp.
Result<BootCpuState> boot_guest(const GuestMemory& mem, std::span<const uint8_t> kernel_file,
                                bool with_initrd, bool with_acpi = false) {
    BootInfo info;
    info.ram_bytes = k_ram;
    info.cpus = 2;
    if (with_acpi)
        info.acpi = acpi::AcpiConfig{2, {{virtio_mmio_addr(0), 0x1000, 5}}};
    info.kernel = TRY(boot::load_kernel(mem, kernel_file));
    if (with_initrd)
        info.initrd = TRY(boot::load_initrd(mem, info.kernel, std::vector<uint8_t>(0x5000, 0xab)));
    info.cmdline = TRY(boot::write_cmdline(mem, GuestAddress(k_cmdline_addr), k_cmdline_max,
                                           info.kernel.cmdline_size, "console=ttyS0"));
    return setup_boot(mem, info);
}

} // namespace

TEST_CASE("setup_boot for a bzImage: boot_params, long mode, MP table") {
    auto mem = ram();
    auto state = boot_guest(mem, boot::test::make_bzimage(), true);
    REQUIRE(state);
    CHECK(state->rip == 0x100200);
    CHECK(state->rsi == k_zero_page_addr);
    CHECK(state->efer == (k_efer_lme | k_efer_lma));
    auto bp = mem.read_obj<BootParams>(GuestAddress(k_zero_page_addr)).value();
    CHECK(v(bp.hdr.header) == k_hdrs_magic);
    CHECK(v(bp.hdr.cmd_line_ptr) == k_cmdline_addr);
    CHECK(v(bp.hdr.ramdisk_size) == 0x5000);
    CHECK(v(bp.hdr.ramdisk_image) + 0x5000 <= k_ram);
    CHECK(mem.read_obj<uint8_t>(GuestAddress(bp.hdr.ramdisk_image)) == 0xab);
    CHECK(v(bp.e820_entries) == 3);
    CHECK(mem.read_obj<uint64_t>(GuestAddress(k_pml4_addr)) == (k_pdpt_addr | 3));
    auto mpf = mem.read_obj<MpFloatingPointer>(GuestAddress(k_mp_table_addr)).value();
    CHECK(std::memcmp(mpf.signature, "_MP_", 4) == 0);
    // no PVH start_info was written
    CHECK(mem.read_obj<uint32_t>(GuestAddress(k_start_info_addr)) == 0u);
}

TEST_CASE("setup_boot for a PVH vmlinux: start_info and 32-bit entry") {
    auto mem = ram();
    auto state = boot_guest(mem, boot::test::make_vmlinux(true), true);
    REQUIRE(state);
    CHECK(state->rip == 0x1000040);
    CHECK(state->rbx == k_start_info_addr);
    CHECK(state->cr0 == (k_cr0_pe | k_cr0_et));
    auto info = mem.read_obj<HvmStartInfo>(GuestAddress(k_start_info_addr)).value();
    CHECK(info.magic == k_hvm_start_magic);
    CHECK(info.nr_modules == 1);
    CHECK(info.memmap_entries == 3);
    // no boot_params were written
    CHECK(mem.read_obj<uint16_t>(GuestAddress(k_zero_page_addr + 0x1fe)) == 0);
}

TEST_CASE("setup_boot for a vmlinux without PVH: minimal boot_params, long mode") {
    auto mem = ram();
    auto state = boot_guest(mem, boot::test::make_vmlinux(false), false);
    REQUIRE(state);
    CHECK(state->rip == 0x1000000);
    CHECK(state->cs.l == 1);
    auto bp = mem.read_obj<BootParams>(GuestAddress(k_zero_page_addr)).value();
    CHECK(v(bp.hdr.boot_flag) == 0xaa55);
    CHECK(v(bp.hdr.ramdisk_image) == 0);
}

TEST_CASE("setup_boot refuses memory not laid out by ram_ranges, and bad vCPU counts") {
    auto mem = ram();
    BootInfo info;
    info.kernel = boot::load_kernel(mem, boot::test::make_bzimage()).value();
    info.cmdline = {k_cmdline_addr, 0};
    info.ram_bytes = k_ram / 2;
    CHECK_FALSE(setup_boot(mem, info));
    info.ram_bytes = k_ram;
    info.cpus = 0;
    CHECK_FALSE(setup_boot(mem, info));
    info.cpus = 1;
    CHECK(setup_boot(mem, info));
}

TEST_CASE("setup_boot with ACPI names the RSDP in boot_params or start_info") {
    auto mem = ram();
    REQUIRE(boot_guest(mem, boot::test::make_bzimage(), false, true));
    auto bp = mem.read_obj<BootParams>(GuestAddress(k_zero_page_addr)).value();
    CHECK(v(bp.acpi_rsdp_addr) == acpi::k_acpi_tables_addr);
    std::array<char, 8> sig{};
    REQUIRE(mem.read(GuestAddress(acpi::k_acpi_tables_addr),
                     std::span(reinterpret_cast<uint8_t*>(sig.data()), sig.size())));
    CHECK(std::string(sig.data(), 8) == "RSD PTR ");
    // the MP table stays, for kernels without ACPI
    auto mpf = mem.read_obj<MpFloatingPointer>(GuestAddress(k_mp_table_addr)).value();
    CHECK(std::memcmp(mpf.signature, "_MP_", 4) == 0);

    auto pvh_mem = ram();
    REQUIRE(boot_guest(pvh_mem, boot::test::make_vmlinux(true), false, true));
    auto info = pvh_mem.read_obj<HvmStartInfo>(GuestAddress(k_start_info_addr)).value();
    CHECK(info.rsdp_paddr == acpi::k_acpi_tables_addr);

    auto plain = ram(); // without ACPI: no RSDP named, none written
    REQUIRE(boot_guest(plain, boot::test::make_bzimage(), false));
    CHECK(v(plain.read_obj<BootParams>(GuestAddress(k_zero_page_addr)).value().acpi_rsdp_addr) ==
          0);
    CHECK(plain.read_obj<uint64_t>(GuestAddress(acpi::k_acpi_tables_addr)) == 0u);
}
