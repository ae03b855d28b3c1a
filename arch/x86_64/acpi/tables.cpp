#include "arch/x86_64/acpi/tables.hpp"

#include <string>

#include "arch/x86_64/acpi/table_writer.hpp"
#include "arch/x86_64/layout.hpp"

namespace hyper::x86::acpi {

namespace {
constexpr size_t k_rsdp_size = 36, k_rsdp_v1_size = 20;
constexpr size_t k_fadt_size = 276; // revision 6
constexpr uint32_t k_fadt_reset_reg_sup = 1u << 10, k_fadt_hw_reduced = 1u << 20,
                   k_fadt_pwr_button = 1u << 4, k_fadt_slp_button = 1u << 5;
constexpr uint16_t k_iapc_vga_not_present = 1u << 2, k_iapc_msi_not_supported = 1u << 3;
constexpr uint8_t k_madt_lapic = 0, k_madt_ioapic = 1, k_madt_override = 2, k_madt_lapic_nmi = 4;
constexpr unsigned k_isa_irqs = 16;
constexpr size_t k_align = 16;

size_t align_up(size_t v) {
    return (v + k_align - 1) & ~(k_align - 1);
}

std::vector<uint8_t> fadt(uint64_t dsdt_addr) {
    TableWriter t;
    t.header("FACP", 6);
    t.u32(0);                                   // FIRMWARE_CTRL: no FACS (hardware-reduced)
    t.u32(static_cast<uint32_t>(dsdt_addr));    // DSDT
    t.u8(0);                                    // reserved
    t.u8(0);                                    // preferred PM profile: unspecified
    t.u16(0);                                   // SCI_INT: none
    t.u32(0);                                   // SMI_CMD: no SMM
    t.raw().insert(t.raw().end(), 109 - 52, 0); // ACPI_ENABLE .. CENTURY: no fixed hardware
    t.u16(k_iapc_vga_not_present | k_iapc_msi_not_supported); // IAPC_BOOT_ARCH (no 8042)
    t.u8(0);                                                  // reserved
    t.u32(k_fadt_hw_reduced | k_fadt_reset_reg_sup | k_fadt_pwr_button | k_fadt_slp_button);
    t.io_gas8(k_reset_port); // RESET_REG
    t.u8(k_reset_value);     // RESET_VALUE
    t.u16(0);                // ARM_BOOT_ARCH
    t.u8(5);                 // FADT minor version: 6.5
    t.u64(0);                // X_FIRMWARE_CTRL
    t.u64(dsdt_addr);        // X_DSDT
    for (int i = 0; i < 8; ++i)
        t.zero_gas(); // X_PM1a_EVT_BLK .. X_GPE1_BLK
    t.io_gas8(k_sleep_control_port);
    t.io_gas8(k_sleep_status_port);
    t.text("HYPERVMM", 8); // hypervisor vendor identity
    return t.finish();
}

std::vector<uint8_t> madt(uint32_t cpus) {
    TableWriter t;
    t.header("APIC", 5);
    t.u32(static_cast<uint32_t>(k_lapic_addr));
    t.u32(0); // flags: no PC-AT 8259 setup expected from the OS
    for (uint32_t i = 0; i < cpus; ++i) {
        t.u8(k_madt_lapic);
        t.u8(8);
        t.u8(static_cast<uint8_t>(i)); // ACPI processor UID
        t.u8(static_cast<uint8_t>(i)); // APIC id
        t.u32(1);                      // enabled
    }
    // The IOAPIC's id follows the vCPUs' APIC ids, as in the MP table.
    t.u8(k_madt_ioapic);
    t.u8(12);
    t.u8(static_cast<uint8_t>(cpus));
    t.u8(0);
    t.u32(static_cast<uint32_t>(k_ioapic_addr));
    t.u32(0); // GSI base
    // ISA IRQ n is IOAPIC pin n, edge-triggered and active-high (flags 0: as the bus is).
    for (unsigned irq = 0; irq < k_isa_irqs; ++irq) {
        t.u8(k_madt_override);
        t.u8(10);
        t.u8(0); // bus: ISA
        t.u8(static_cast<uint8_t>(irq));
        t.u32(irq);
        t.u16(0);
    }
    // LINT1 of every processor is the NMI, as in the MP table.
    t.u8(k_madt_lapic_nmi);
    t.u8(6);
    t.u8(0xff); // all processors
    t.u16(0);
    t.u8(1); // LINT1
    return t.finish();
}

std::vector<uint8_t> xsdt(std::span<const uint64_t> tables) {
    TableWriter t;
    t.header("XSDT", 1);
    for (auto addr : tables)
        t.u64(addr);
    return t.finish();
}

std::vector<uint8_t> rsdp(uint64_t xsdt_addr) {
    TableWriter t;
    t.text("RSD PTR ", 8);
    t.u8(0); // checksum of the first 20 bytes
    t.text("HYPER ", 6);
    t.u8(2);  // revision: ACPI 2.0+, use the XSDT
    t.u32(0); // RSDT: none
    t.u32(k_rsdp_size);
    t.u64(xsdt_addr);
    t.u8(0); // extended checksum
    t.raw().insert(t.raw().end(), 3, 0);
    auto& b = t.raw();
    b[8] = static_cast<uint8_t>(-checksum(std::span(b).first(k_rsdp_v1_size)));
    b[32] = static_cast<uint8_t>(-checksum(b));
    return std::move(b);
}

void place(std::vector<uint8_t>& blob, std::span<const uint8_t> table) {
    blob.resize(align_up(blob.size()));
    blob.insert(blob.end(), table.begin(), table.end());
}
} // namespace

uint8_t checksum(std::span<const uint8_t> bytes) {
    uint8_t sum = 0;
    for (auto b : bytes)
        sum = static_cast<uint8_t>(sum + b);
    return sum;
}

Result<std::vector<uint8_t>> build_acpi_tables(const AcpiConfig& config, uint64_t base) {
    if (config.cpus == 0 || config.cpus > 254)
        return fail(ExitCode::Internal,
                    "the MADT describes 1..254 vCPUs, not " + std::to_string(config.cpus));
    if (base % k_align != 0 || base > UINT32_MAX - k_acpi_tables_max_size)
        return fail(ExitCode::Internal, "ACPI tables must be 16-byte aligned below 4 GiB");
    auto dsdt = TRY(build_dsdt(config));
    auto madt_bytes = madt(config.cpus);
    // Layout: RSDP, XSDT (two entries), FADT, MADT, DSDT, each 16-byte aligned.
    uint64_t xsdt_addr = base + align_up(k_rsdp_size);
    uint64_t fadt_addr = xsdt_addr + align_up(k_header_size + 2 * 8);
    uint64_t madt_addr = fadt_addr + align_up(k_fadt_size);
    uint64_t dsdt_addr = madt_addr + align_up(madt_bytes.size());
    uint64_t entries[] = {fadt_addr, madt_addr};

    std::vector<uint8_t> blob;
    place(blob, rsdp(xsdt_addr));
    place(blob, xsdt(entries));
    place(blob, fadt(dsdt_addr));
    place(blob, madt_bytes);
    place(blob, dsdt);
    if (blob.size() > k_acpi_tables_max_size)
        return fail(ExitCode::Internal, "ACPI tables too large");
    if (base + blob.size() - dsdt.size() != dsdt_addr)
        return fail(ExitCode::Internal, "ACPI table layout mismatch");
    return blob;
}

Result<uint64_t> write_acpi_tables(const GuestMemory& mem, const AcpiConfig& config) {
    auto blob = TRY(build_acpi_tables(config, k_acpi_tables_addr));
    if (!mem.write(GuestAddress(k_acpi_tables_addr), blob))
        return fail(ExitCode::Internal, "the ACPI table area is not in guest RAM");
    return k_acpi_tables_addr;
}

} // namespace hyper::x86::acpi
