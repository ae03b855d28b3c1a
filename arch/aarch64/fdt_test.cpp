#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "arch/aarch64/boot_setup.hpp"
#include "arch/aarch64/fdt.hpp"
#include "arch/aarch64/layout.hpp"

extern "C" {
#include <libfdt.h>
}

using namespace hyper;
using namespace hyper::arm64;

namespace {

FdtConfig sample(uint32_t cpus, GicVersion gic = GicVersion::V3) {
    FdtConfig c;
    c.ram_base = k_ram_start;
    c.ram_bytes = 256ull << 20;
    for (uint32_t i = 0; i < cpus; i++)
        c.mpidrs.push_back(mpidr_affinity(i));
    c.gic = gic;
    c.bootargs = "console=ttyS0 panic=-1";
    c.initrd = {0x88000000, 0x88100000};
    c.virtio = {{virtio_mmio_addr(0), 0x1000, virtio_spi(0)},
                {virtio_mmio_addr(1), 0x1000, virtio_spi(1)}};
    return c;
}

// The property's cells, big-endian in the blob, as host numbers.
std::vector<uint32_t> cells(const void* fdt, const char* path, const char* prop) {
    int node = fdt_path_offset(fdt, path);
    REQUIRE_MESSAGE(node >= 0, path);
    int len = 0;
    auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, prop, &len));
    REQUIRE_MESSAGE(p != nullptr, path, " ", prop);
    std::vector<uint32_t> out;
    for (int i = 0; i < len / 4; i++)
        out.push_back(fdt32_to_cpu(p[i]));
    return out;
}

std::string str(const void* fdt, const char* path, const char* prop) {
    int node = fdt_path_offset(fdt, path);
    REQUIRE_MESSAGE(node >= 0, path);
    int len = 0;
    auto* p = static_cast<const char*>(fdt_getprop(fdt, node, prop, &len));
    REQUIRE_MESSAGE(p != nullptr, path, " ", prop);
    return std::string(p, strnlen(p, static_cast<size_t>(len)));
}

uint64_t u64(const std::vector<uint32_t>& c, size_t i) {
    return (uint64_t{c[i]} << 32) | c[i + 1];
}

} // namespace

TEST_CASE("arm64 device tree: memory, cpus, psci, chosen") {
    auto blob = build_fdt(sample(2));
    REQUIRE(blob);
    const void* fdt = blob->data();
    REQUIRE(fdt_check_header(fdt) == 0);
    CHECK(blob->size() == fdt_totalsize(fdt));
    CHECK(cells(fdt, "/", "#address-cells") == std::vector<uint32_t>{2});
    CHECK(cells(fdt, "/", "interrupt-parent") == std::vector<uint32_t>{k_gic_phandle});
    auto mem = cells(fdt, "/memory@80000000", "reg");
    REQUIRE(mem.size() == 4);
    CHECK(u64(mem, 0) == 0x80000000);
    CHECK(u64(mem, 2) == 256ull << 20);
    CHECK(str(fdt, "/memory@80000000", "device_type") == "memory");
    CHECK(cells(fdt, "/cpus/cpu@0", "reg") == std::vector<uint32_t>{0});
    CHECK(cells(fdt, "/cpus/cpu@1", "reg") == std::vector<uint32_t>{1});
    CHECK(str(fdt, "/cpus/cpu@1", "enable-method") == "psci");
    CHECK(fdt_path_offset(fdt, "/cpus/cpu@2") < 0);
    CHECK(str(fdt, "/psci", "compatible") == "arm,psci-0.2");
    CHECK(str(fdt, "/psci", "method") == "hvc");
    CHECK(str(fdt, "/chosen", "bootargs") == "console=ttyS0 panic=-1");
    CHECK(str(fdt, "/chosen", "stdout-path") == "/uart@b000000");
    CHECK(u64(cells(fdt, "/chosen", "linux,initrd-start"), 0) == 0x88000000);
    CHECK(u64(cells(fdt, "/chosen", "linux,initrd-end"), 0) == 0x88100000);
}

TEST_CASE("arm64 device tree: GICv3, timer, UART and virtio-mmio interrupts") {
    auto blob = build_fdt(sample(3));
    REQUIRE(blob);
    const void* fdt = blob->data();
    CHECK(str(fdt, "/intc@8000000", "compatible") == "arm,gic-v3");
    auto reg = cells(fdt, "/intc@8000000", "reg");
    REQUIRE(reg.size() == 8);
    CHECK(u64(reg, 0) == k_gicd_addr);
    CHECK(u64(reg, 4) == k_gicr_addr);
    CHECK(u64(reg, 6) == 3 * k_gicr_size_per_cpu);
    CHECK(cells(fdt, "/intc@8000000", "phandle") == std::vector<uint32_t>{k_gic_phandle});
    CHECK(cells(fdt, "/timer", "interrupts") ==
          std::vector<uint32_t>{1, 13, 8, 1, 14, 8, 1, 11, 8, 1, 10, 8});
    CHECK(str(fdt, "/uart@b000000", "compatible") == "ns16550a");
    CHECK(cells(fdt, "/uart@b000000", "interrupts") ==
          std::vector<uint32_t>{0, k_uart_spi, k_irq_type_edge_rising});
    CHECK(cells(fdt, "/uart@b000000", "reg-shift") == std::vector<uint32_t>{0});
    CHECK(str(fdt, "/virtio_mmio@c000000", "compatible") == "virtio,mmio");
    CHECK(cells(fdt, "/virtio_mmio@c001000", "interrupts") ==
          std::vector<uint32_t>{0, k_virtio_first_spi + 1, k_irq_type_edge_rising});
    auto vreg = cells(fdt, "/virtio_mmio@c001000", "reg");
    CHECK(u64(vreg, 0) == 0x0c001000);
    CHECK(u64(vreg, 2) == 0x1000);
}

TEST_CASE("arm64 device tree: GICv2 fallback, CPU mask on the timer's PPIs") {
    auto blob = build_fdt(sample(2, GicVersion::V2));
    REQUIRE(blob);
    const void* fdt = blob->data();
    CHECK(str(fdt, "/intc@8000000", "compatible") == "arm,cortex-a15-gic");
    auto reg = cells(fdt, "/intc@8000000", "reg");
    CHECK(u64(reg, 4) == k_gicc_addr);
    CHECK(cells(fdt, "/timer", "interrupts")[2] == (8u | (3u << 8)));
    CHECK(!build_fdt(sample(9, GicVersion::V2)));
}

TEST_CASE("arm64 MPIDR affinity of a vCPU id, as KVM assigns it") {
    CHECK(mpidr_affinity(0) == 0);
    CHECK(mpidr_affinity(15) == 15);
    CHECK(mpidr_affinity(16) == 0x100);
    CHECK(mpidr_affinity(17) == 0x101);
    CHECK(mpidr_affinity(253) == 0xf0d);
}

TEST_CASE("arm64 layout: one RAM region, the device tree in its last 2 MiB") {
    auto r = ram_ranges(256ull << 20);
    REQUIRE(r.size() == 1);
    CHECK(r[0].first == 0x80000000);
    CHECK(fdt_addr(256ull << 20) == 0x80000000 + (254ull << 20));
    CHECK(fdt_addr(33ull << 20) == 0x80000000 + (30ull << 20)); // 2 MiB, aligned, inside RAM
    CHECK(virtio_mmio_addr(2) == 0x0c002000);
    CHECK(k_gicr_addr + gicr_size(k_max_cpus) <= k_uart_addr);
}

TEST_CASE("arm64 setup_boot: device tree at the end of RAM, x0 points at it") {
    auto ranges = ram_ranges(64ull << 20);
    auto mem = std::move(GuestMemory::create(ranges).value());
    BootInfo info;
    info.kernel.entry = k_ram_start;
    info.kernel.load_addr = k_ram_start;
    info.kernel.load_end = k_ram_start + (16 << 20);
    info.cmdline = "console=ttyS0";
    info.ram_bytes = 64ull << 20;
    info.mpidrs = {0};
    info.initrd = boot::InitrdPlacement{k_ram_start + (60ull << 20), 4096};
    auto st = setup_boot(mem, info);
    REQUIRE(st);
    CHECK(st->pc == k_ram_start);
    CHECK(st->x0 == k_ram_start + (62ull << 20));
    CHECK(st->pstate == 0x3c5);
    std::vector<uint8_t> header(40);
    REQUIRE(mem.read(GuestAddress(st->x0), header));
    CHECK(fdt_check_header(header.data()) == 0);

    info.cmdline = std::string(3000, 'x');
    CHECK(setup_boot(mem, info).error().exit_code() == ExitCode::Usage);
    info.cmdline.assign(1, 'x');
    info.kernel.load_end = k_ram_start + (63ull << 20);
    CHECK(!setup_boot(mem, info));
}
