#pragma once
// The ACPI tables that describe the VM to a kernel built with CONFIG_ACPI (ACPI 6.5):
//
//   RSDP (v2) -> XSDT -> FADT -> DSDT   (AML: COM1, one LNRO0005 per virtio-mmio device, \_S5)
//                     -> MADT           (a local APIC per vCPU, the IOAPIC, ISA overrides)
//
// The FADT declares hardware-reduced ACPI: no PM1 blocks, no SCI, no FACS. Power off and
// reset go through three I/O ports the VMM traps (devices/acpi_power.hpp): the sleep
// control register (the guest writes SLP_TYP=5 | SLP_EN for S5), the sleep status
// register, and the reset register (reset value 1).
//
// All tables lie back to back in one blob at k_acpi_tables_addr (in the reserved BIOS
// area, 0xe0000, where Linux also scans for the RSDP; the MP table follows at 0xf0000).
#include <cstdint>
#include <span>
#include <vector>

#include "base/guest_memory.hpp"
#include "base/result.hpp"

namespace hyper::x86::acpi {

inline constexpr uint64_t k_acpi_tables_addr = 0xe0000;
inline constexpr uint64_t k_acpi_tables_max_size = 0x10000; // up to the MP table

inline constexpr uint16_t k_power_ports_base = 0x600; // 3 ports:
inline constexpr uint16_t k_sleep_control_port = k_power_ports_base + 0;
inline constexpr uint16_t k_sleep_status_port = k_power_ports_base + 1;
inline constexpr uint16_t k_reset_port = k_power_ports_base + 2;
inline constexpr uint16_t k_power_ports_size = 3;
inline constexpr uint8_t k_reset_value = 1;
inline constexpr uint8_t k_s5_sleep_type = 5; // \_S5's SLP_TYP
inline constexpr uint8_t k_sleep_type_shift = 2, k_sleep_type_mask = 0x1c, k_sleep_enable = 0x20;

// A virtio-mmio device: its register window and its GSI (an IOAPIC pin).
struct MmioDevice {
    uint64_t base;
    uint32_t size;
    uint32_t gsi;
};

struct AcpiConfig {
    uint32_t cpus{1};
    std::vector<MmioDevice> virtio;
};

// The 8-bit sum of the bytes: 0 over a whole valid table.
uint8_t checksum(std::span<const uint8_t> bytes);

// The DSDT: header and AML (dsdt.cpp).
Result<std::vector<uint8_t>> build_dsdt(const AcpiConfig& config);

// Every table, the RSDP first, as they go at guest address `base`.
Result<std::vector<uint8_t>> build_acpi_tables(const AcpiConfig& config, uint64_t base);

// Writes the tables at k_acpi_tables_addr; returns the RSDP's guest address.
Result<uint64_t> write_acpi_tables(const GuestMemory& mem, const AcpiConfig& config);

} // namespace hyper::x86::acpi
