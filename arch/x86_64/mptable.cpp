#include "arch/x86_64/mptable.hpp"

#include <cstddef>
#include <cstring>
#include <string>

#include "arch/x86_64/layout.hpp"

namespace hyper::x86 {

static_assert(sizeof(MpFloatingPointer) == 16);
static_assert(sizeof(MpConfigHeader) == 44);
static_assert(sizeof(MpProcessor) == 20);
static_assert(sizeof(MpBus) == 8);
static_assert(sizeof(MpIoapic) == 8);
static_assert(sizeof(MpInterrupt) == 8);
static_assert(offsetof(MpFloatingPointer, checksum) == 10);
static_assert(offsetof(MpConfigHeader, checksum) == 7);
static_assert(offsetof(MpConfigHeader, entry_count) == 34);
static_assert(offsetof(MpConfigHeader, lapic_addr) == 36);

uint8_t mp_checksum(const uint8_t* bytes, size_t len) {
    uint8_t sum = 0;
    for (size_t i = 0; i < len; ++i)
        sum = static_cast<uint8_t>(sum + bytes[i]);
    return sum;
}

namespace {
template <typename T> void append(std::vector<uint8_t>& out, const T& value) {
    auto p = reinterpret_cast<const uint8_t*>(&value);
    out.insert(out.end(), p, p + sizeof(T));
}

constexpr uint32_t k_cpu_signature = 0x600;                // family 6
constexpr uint32_t k_cpu_features = (1u << 0) | (1u << 9); // FPU, APIC
} // namespace

Result<std::vector<uint8_t>> build_mptable(unsigned ncpus, uint64_t base) {
    if (ncpus == 0 || ncpus > k_mp_max_cpus)
        return fail(ExitCode::Usage, "the MP table describes 1.." + std::to_string(k_mp_max_cpus) +
                                         " vCPUs, not " + std::to_string(ncpus));
    uint64_t table_addr = base + sizeof(MpFloatingPointer);
    if (table_addr > UINT32_MAX)
        return fail(ExitCode::Internal, "MP table must lie below 4 GiB");

    std::vector<uint8_t> out(sizeof(MpFloatingPointer) + sizeof(MpConfigHeader));
    uint16_t count = 0;
    for (unsigned i = 0; i < ncpus; ++i, ++count) {
        MpProcessor cpu{};
        cpu.type = k_mp_processor;
        cpu.apic_id = static_cast<uint8_t>(i);
        cpu.apic_version = k_lapic_version;
        cpu.cpu_flags = k_mp_cpu_enabled | (i == 0 ? k_mp_cpu_bsp : 0);
        cpu.signature = k_cpu_signature;
        cpu.feature_flags = k_cpu_features;
        append(out, cpu);
    }
    MpBus bus{k_mp_bus, 0, {'I', 'S', 'A', ' ', ' ', ' '}};
    append(out, bus);
    ++count;
    uint8_t ioapic_id = static_cast<uint8_t>(ncpus);
    append(out, MpIoapic{k_mp_ioapic, ioapic_id, k_ioapic_version, 1,
                         static_cast<uint32_t>(k_ioapic_addr)});
    ++count;
    for (unsigned irq = 0; irq < k_isa_irqs; ++irq, ++count) {
        uint8_t pin = static_cast<uint8_t>(irq);
        append(out, MpInterrupt{k_mp_io_interrupt, k_mp_irq_int, 0, 0, pin, ioapic_id, pin});
    }
    append(out, MpInterrupt{k_mp_local_interrupt, k_mp_irq_ext_int, 0, 0, 0, 0, 0}); // BSP LINT0
    append(out, MpInterrupt{k_mp_local_interrupt, k_mp_irq_nmi, 0, 0, 0, 0xff, 1});  // all LINT1
    count += 2;

    uint64_t table_len = out.size() - sizeof(MpFloatingPointer);
    if (out.size() > k_mp_table_max_size || table_len > UINT16_MAX)
        return fail(ExitCode::Internal, "MP table too large");

    MpConfigHeader hdr{};
    std::memcpy(hdr.signature, "PCMP", 4);
    hdr.length = static_cast<uint16_t>(table_len);
    hdr.spec_rev = 4;
    std::memcpy(hdr.oem_id, "HYPER   ", 8);
    std::memcpy(hdr.product_id, "MICROVM     ", 12);
    hdr.entry_count = count;
    hdr.lapic_addr = static_cast<uint32_t>(k_lapic_addr);
    std::memcpy(out.data() + sizeof(MpFloatingPointer), &hdr, sizeof(hdr));
    uint8_t* table = out.data() + sizeof(MpFloatingPointer);
    table[offsetof(MpConfigHeader, checksum)] =
        static_cast<uint8_t>(-mp_checksum(table, table_len));

    MpFloatingPointer mpf{};
    std::memcpy(mpf.signature, "_MP_", 4);
    mpf.physptr = static_cast<uint32_t>(table_addr);
    mpf.length = 1;
    mpf.spec_rev = 4;
    std::memcpy(out.data(), &mpf, sizeof(mpf));
    out[offsetof(MpFloatingPointer, checksum)] =
        static_cast<uint8_t>(-mp_checksum(out.data(), sizeof(mpf)));
    return out;
}

Result<void> write_mptable(const GuestMemory& mem, unsigned ncpus) {
    auto bytes = TRY(build_mptable(ncpus, k_mp_table_addr));
    if (!mem.write(GuestAddress(k_mp_table_addr), bytes))
        return fail(ExitCode::Internal, "the MP table area is not in guest RAM");
    return {};
}

} // namespace hyper::x86
