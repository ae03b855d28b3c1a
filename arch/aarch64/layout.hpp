#pragma once
// The aarch64 guest physical memory layout, in one place. Devices sit below RAM:
//
//   0x0800_0000  GIC distributor (64 KiB); GICv2: CPU interface at 0x0801_0000 (8 KiB)
//   0x0810_0000  GICv3 redistributors, 128 KiB per vCPU (at most 254: below 0x0a10_0000)
//   0x0b00_0000  16550A UART (8 byte-wide registers, reg-shift 0)
//   0x0b00_1000  control page of the guest init (devices/control.hpp)
//   0x0c00_0000  virtio-mmio windows, 4 KiB each
//   0x8000_0000  RAM: the kernel Image at its 2 MiB-aligned base + text_offset, the
//                initrd below the device tree, the device tree in the last 2 MiB
#include <cstdint>
#include <utility>
#include <vector>

namespace hyper::arm64 {

inline constexpr uint64_t k_kib = 1024;
inline constexpr uint64_t k_mib = 1024 * k_kib;
inline constexpr uint64_t k_gib = 1024 * k_mib;

inline constexpr uint64_t k_gicd_addr = 0x08000000;
inline constexpr uint64_t k_gicd_size = 0x10000;
inline constexpr uint64_t k_gicc_addr = 0x08010000; // GICv2 only
inline constexpr uint64_t k_gicc_size = 0x2000;
inline constexpr uint64_t k_gicr_addr = 0x08100000; // GICv3 only
inline constexpr uint64_t k_gicr_size_per_cpu = 0x20000;
inline constexpr uint32_t k_max_cpus = 254;

inline constexpr uint64_t k_uart_addr = 0x0b000000;
inline constexpr uint64_t k_uart_size = 8;
inline constexpr uint32_t k_uart_clock_hz = 1843200;
// guest/init/init.c has the same address
inline constexpr uint64_t k_control_page_addr = 0x0b001000;

inline constexpr uint64_t k_virtio_mmio_base = 0x0c000000;
inline constexpr uint64_t k_virtio_mmio_stride = 0x1000;

inline constexpr uint64_t k_ram_start = 0x80000000;
// Highest RAM end: KVM's default guest physical address space is 40 bits.
inline constexpr uint64_t k_ram_limit = 1ull << 40;

// The device tree's place: 2 MiB-aligned, at most 2 MiB (the arm64 boot protocol).
inline constexpr uint64_t k_fdt_max_size = 2 * k_mib;

// Interrupts: shared peripheral interrupts (SPI) by number; SPI n is INTID 32 + n and
// KVM's irqfd GSI n.
inline constexpr uint32_t k_uart_spi = 1;
inline constexpr uint32_t k_virtio_first_spi = 16;
inline constexpr uint32_t k_max_virtio_devices = 32;
inline constexpr uint32_t k_gic_nr_irqs = 128; // SGIs, PPIs and 96 SPIs

constexpr uint64_t virtio_mmio_addr(unsigned index) {
    return k_virtio_mmio_base + uint64_t{index} * k_virtio_mmio_stride;
}
constexpr uint32_t virtio_spi(unsigned index) {
    return k_virtio_first_spi + index;
}
constexpr uint64_t gicr_size(uint32_t cpus) {
    return uint64_t{cpus} * k_gicr_size_per_cpu;
}

// One RAM region of `ram_bytes` at k_ram_start. Suitable for GuestMemory::create.
std::vector<std::pair<uint64_t, uint64_t>> ram_ranges(uint64_t ram_bytes);

// Where the device tree goes: the last 2 MiB-aligned 2 MiB of RAM (RAM is at least
// 32 MiB, whole MiB).
uint64_t fdt_addr(uint64_t ram_bytes);

// The MPIDR_EL1 affinity KVM gives vCPU `id` (Aff0 = id bits 0-3, Aff1 = bits 4-11,
// Aff2 = bits 12-19), as the device tree's cpu@ reg names it.
constexpr uint64_t mpidr_affinity(uint32_t id) {
    return (uint64_t{id} & 0xf) | (((uint64_t{id} >> 4) & 0xff) << 8) |
           (((uint64_t{id} >> 12) & 0xff) << 16);
}

} // namespace hyper::arm64
