#include "arch/x86_64/mptable.hpp"

#include <doctest/doctest.h>

#include <cstring>

#include "arch/x86_64/layout.hpp"

using namespace hyper;
using namespace hyper::x86;

namespace {

GuestMemory ram(uint64_t size = 2 << 20) {
    auto ranges = ram_ranges(size);
    return std::move(GuestMemory::create(ranges).value());
}

struct Parsed {
    MpConfigHeader header;
    std::vector<MpProcessor> cpus;
    std::vector<MpBus> buses;
    std::vector<MpIoapic> ioapics;
    std::vector<MpInterrupt> io_irqs;
    std::vector<MpInterrupt> local_irqs;
};

// Finds and parses the MP table the way Linux does: scan 0xf0000..0xfffff on 16-byte
// boundaries for a valid floating pointer, then check and walk the config table.
std::optional<Parsed> parse(const GuestMemory& mem) {
    for (uint64_t at = 0xf0000; at < 0x100000; at += 16) {
        auto mpf = mem.read_obj<MpFloatingPointer>(GuestAddress(at));
        if (!mpf || std::memcmp(mpf->signature, "_MP_", 4) != 0)
            continue;
        if (mpf->length != 1 || mp_checksum(reinterpret_cast<uint8_t*>(&*mpf), 16) != 0 ||
            (mpf->spec_rev != 1 && mpf->spec_rev != 4))
            continue;
        Parsed p;
        auto hdr = mem.read_obj<MpConfigHeader>(GuestAddress(mpf->physptr));
        if (!hdr || std::memcmp(hdr->signature, "PCMP", 4) != 0 || hdr->lapic_addr == 0)
            return std::nullopt;
        p.header = *hdr;
        std::vector<uint8_t> table(hdr->length);
        if (!mem.read(GuestAddress(mpf->physptr), table) ||
            mp_checksum(table.data(), table.size()) != 0)
            return std::nullopt;
        size_t pos = sizeof(MpConfigHeader);
        for (unsigned i = 0; i < hdr->entry_count; ++i) {
            if (pos >= table.size())
                return std::nullopt;
            auto take = [&](auto& out) {
                using T = typename std::remove_reference_t<decltype(out)>::value_type;
                if (pos + sizeof(T) > table.size())
                    return false;
                T v;
                std::memcpy(&v, table.data() + pos, sizeof(T));
                out.push_back(v);
                pos += sizeof(T);
                return true;
            };
            bool ok = false;
            switch (table[pos]) {
            case k_mp_processor: ok = take(p.cpus); break;
            case k_mp_bus: ok = take(p.buses); break;
            case k_mp_ioapic: ok = take(p.ioapics); break;
            case k_mp_io_interrupt: ok = take(p.io_irqs); break;
            case k_mp_local_interrupt: ok = take(p.local_irqs); break;
            }
            if (!ok)
                return std::nullopt;
        }
        if (pos != table.size())
            return std::nullopt;
        return p;
    }
    return std::nullopt;
}

} // namespace

TEST_CASE("MP table round-trips: checksums, one entry per vCPU, ISA bus, IOAPIC, IRQs") {
    for (unsigned n : {1u, 2u, 7u, 64u, 254u}) {
        INFO(n << " vCPUs");
        auto mem = ram();
        REQUIRE(write_mptable(mem, n));
        auto p = parse(mem);
        REQUIRE(p);
        CHECK(p->header.spec_rev == 4);
        CHECK(p->header.lapic_addr == k_lapic_addr);
        CHECK(p->header.entry_count == n + 1 + 1 + 16 + 2);
        REQUIRE(p->cpus.size() == n);
        for (unsigned i = 0; i < n; ++i) {
            CHECK(p->cpus[i].apic_id == i);
            CHECK((p->cpus[i].cpu_flags & k_mp_cpu_enabled) != 0);
            CHECK(((p->cpus[i].cpu_flags & k_mp_cpu_bsp) != 0) == (i == 0));
        }
        REQUIRE(p->buses.size() == 1);
        CHECK(std::memcmp(p->buses[0].bus_type, "ISA   ", 6) == 0);
        REQUIRE(p->ioapics.size() == 1);
        CHECK(p->ioapics[0].apic_id == n);
        CHECK(p->ioapics[0].apic_version == 0x11);
        CHECK(p->ioapics[0].flags == 1);
        CHECK(p->ioapics[0].addr == k_ioapic_addr);
        REQUIRE(p->io_irqs.size() == 16);
        for (unsigned irq = 0; irq < 16; ++irq) {
            CHECK(p->io_irqs[irq].irq_type == k_mp_irq_int);
            CHECK(p->io_irqs[irq].src_bus == p->buses[0].bus_id);
            CHECK(p->io_irqs[irq].src_irq == irq);
            CHECK(p->io_irqs[irq].dst_apic == n);
            CHECK(p->io_irqs[irq].dst_pin == irq);
        }
        REQUIRE(p->local_irqs.size() == 2);
        CHECK(p->local_irqs[0].irq_type == k_mp_irq_ext_int);
        CHECK(p->local_irqs[0].dst_pin == 0);
        CHECK(p->local_irqs[1].irq_type == k_mp_irq_nmi);
        CHECK(p->local_irqs[1].dst_apic == 0xff);
        CHECK(p->local_irqs[1].dst_pin == 1);
    }
}

TEST_CASE("MP table: a corrupted byte breaks the checksum; bad vCPU counts are refused") {
    auto bytes = build_mptable(4, k_mp_table_addr).value();
    CHECK(mp_checksum(bytes.data(), 16) == 0);
    CHECK(mp_checksum(bytes.data() + 16, bytes.size() - 16) == 0);
    auto mem = ram();
    bytes[40] ^= 1;
    REQUIRE(mem.write(GuestAddress(k_mp_table_addr), bytes));
    CHECK_FALSE(parse(mem));

    CHECK_FALSE(build_mptable(0, k_mp_table_addr));
    auto too_many = build_mptable(255, k_mp_table_addr);
    REQUIRE_FALSE(too_many);
    CHECK(too_many.error().exit_code() == ExitCode::Usage);
    CHECK(build_mptable(254, k_mp_table_addr).value().size() <= k_mp_table_max_size);
    CHECK_FALSE(build_mptable(1, 0x100000000ull));
}
