#pragma once
// The Intel MultiProcessor Specification 1.4 table that tells Linux (CONFIG_X86_MPPARSE)
// about the vCPUs, the ISA bus, the IOAPIC and how ISA IRQs reach it. No ACPI needed.
//
// The floating pointer sits at k_mp_table_addr (Linux scans 0xf0000..0xfffff) and points
// at the configuration table right after it. Entries, in order: one processor per vCPU
// (APIC id = index, the BSP is 0), bus 0 "ISA", the IOAPIC (id = vCPU count), ISA IRQs
// 0..15 to IOAPIC pins 0..15 (KVM's default GSI routing), LINT0 ExtINT, LINT1 NMI.
#include <cstdint>
#include <vector>

#include "base/guest_memory.hpp"
#include "base/result.hpp"

namespace hyper::x86 {

// APIC ids are 8 bits and the IOAPIC takes the id after the last vCPU.
inline constexpr unsigned k_mp_max_cpus = 254;

struct MpFloatingPointer {
    char signature[4]; // "_MP_"
    uint32_t physptr;  // configuration table address
    uint8_t length;    // in 16-byte paragraphs: 1
    uint8_t spec_rev;  // 4
    uint8_t checksum;
    uint8_t feature[5];
};

struct MpConfigHeader {
    char signature[4]; // "PCMP"
    uint16_t length;   // header and base entries
    uint8_t spec_rev;  // 4
    uint8_t checksum;
    char oem_id[8];
    char product_id[12];
    uint32_t oem_table;
    uint16_t oem_table_size;
    uint16_t entry_count;
    uint32_t lapic_addr;
    uint16_t ext_table_length;
    uint8_t ext_table_checksum;
    uint8_t reserved;
};

enum MpEntryType : uint8_t {
    k_mp_processor = 0,
    k_mp_bus = 1,
    k_mp_ioapic = 2,
    k_mp_io_interrupt = 3,
    k_mp_local_interrupt = 4,
};

struct MpProcessor {
    uint8_t type;
    uint8_t apic_id;
    uint8_t apic_version;
    uint8_t cpu_flags; // bit 0 enabled, bit 1 boot processor
    uint32_t signature;
    uint32_t feature_flags;
    uint32_t reserved[2];
};

struct MpBus {
    uint8_t type;
    uint8_t bus_id;
    char bus_type[6];
};

struct MpIoapic {
    uint8_t type;
    uint8_t apic_id;
    uint8_t apic_version;
    uint8_t flags; // bit 0 usable
    uint32_t addr;
};

// An I/O or local interrupt assignment (the two share one layout).
struct MpInterrupt {
    uint8_t type;
    uint8_t irq_type; // 0 INT, 1 NMI, 2 SMI, 3 ExtINT
    uint16_t irq_flags;
    uint8_t src_bus;
    uint8_t src_irq;
    uint8_t dst_apic;
    uint8_t dst_pin;
};

inline constexpr uint8_t k_mp_cpu_enabled = 1;
inline constexpr uint8_t k_mp_cpu_bsp = 2;
inline constexpr uint8_t k_mp_irq_int = 0;
inline constexpr uint8_t k_mp_irq_nmi = 1;
inline constexpr uint8_t k_mp_irq_ext_int = 3;
inline constexpr uint8_t k_lapic_version = 0x14;
inline constexpr uint8_t k_ioapic_version = 0x11;
inline constexpr unsigned k_isa_irqs = 16;

// Byte sum of `bytes` (a correct table sums to 0 mod 256).
uint8_t mp_checksum(const uint8_t* bytes, size_t len);

// The floating pointer and configuration table as laid out at `base`. Pure.
Result<std::vector<uint8_t>> build_mptable(unsigned ncpus, uint64_t base);

// build_mptable at k_mp_table_addr, written to guest RAM.
Result<void> write_mptable(const GuestMemory& mem, unsigned ncpus);

} // namespace hyper::x86
