// The DSDT: what ASL would write as
//
//   DefinitionBlock ("", "DSDT", 2, "HYPER ", "HYPERVM ", 1) {
//     Scope (\_SB) {
//       Device (COM1) { Name (_HID, EisaId ("PNP0501")) Name (_UID, 0)
//                       Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3f8, 0x3f8, 1, 8)
//                                                         IRQNoFlags () {4} }) }
//       Device (V000) { Name (_HID, "LNRO0005") Name (_UID, 0)   // one per virtio-mmio device
//                       Name (_CRS, ResourceTemplate () { Memory32Fixed (ReadWrite, base, size)
//                         Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) {gsi} }) }
//     }
//     Name (_S5, Package () {5, 0})   // SLP_TYP for power off
//   }
#include <cstdio>

#include "arch/x86_64/acpi/aml.hpp"
#include "arch/x86_64/acpi/table_writer.hpp"
#include "arch/x86_64/acpi/tables.hpp"

namespace hyper::x86::acpi {

namespace {
constexpr uint16_t k_com1_port = 0x3f8;
constexpr uint8_t k_com1_ports = 8, k_com1_irq = 4;
constexpr size_t k_max_virtio = 256; // V000..V0FF

Result<aml::Bytes> com1() {
    auto crs = TRY(aml::resource_template(
        {aml::io_port(k_com1_port, k_com1_ports), aml::irq_no_flags(k_com1_irq)}));
    auto body = aml::concat({TRY(aml::name("_HID", TRY(aml::eisa_id("PNP0501")))),
                             TRY(aml::name("_UID", aml::integer(0))), TRY(aml::name("_CRS", crs))});
    return aml::device("COM1", body);
}

Result<aml::Bytes> virtio_device(size_t index, const MmioDevice& dev) {
    if (dev.base + dev.size > UINT32_MAX + uint64_t{1} || dev.size == 0)
        return fail(ExitCode::Internal, "a virtio-mmio window must lie below 4 GiB");
    char seg[5];
    std::snprintf(seg, sizeof seg, "V%03zX", index);
    auto crs = TRY(aml::resource_template(
        {aml::memory32_fixed(static_cast<uint32_t>(dev.base), dev.size), aml::interrupt(dev.gsi)}));
    auto body =
        aml::concat({TRY(aml::name("_HID", TRY(aml::string("LNRO0005")))),
                     TRY(aml::name("_UID", aml::integer(index))), TRY(aml::name("_CRS", crs))});
    return aml::device(seg, body);
}
} // namespace

Result<std::vector<uint8_t>> build_dsdt(const AcpiConfig& config) {
    if (config.virtio.size() > k_max_virtio)
        return fail(ExitCode::Internal, "too many virtio-mmio devices for the DSDT");
    aml::Bytes sb = TRY(com1());
    for (size_t i = 0; i < config.virtio.size(); ++i) {
        auto dev = TRY(virtio_device(i, config.virtio[i]));
        sb.insert(sb.end(), dev.begin(), dev.end());
    }
    aml::Bytes s5_elements[] = {aml::integer(k_s5_sleep_type), aml::integer(0)};
    auto s5 = TRY(aml::name("_S5", TRY(aml::package(s5_elements))));

    TableWriter t;
    t.header("DSDT", 2); // revision 2: 64-bit integers
    t.bytes(TRY(aml::scope("\\_SB", sb)));
    t.bytes(s5);
    return t.finish();
}

} // namespace hyper::x86::acpi
