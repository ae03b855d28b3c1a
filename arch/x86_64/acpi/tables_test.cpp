#include "arch/x86_64/acpi/tables.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "arch/x86_64/layout.hpp"

using namespace hyper;
using namespace hyper::x86;
using namespace hyper::x86::acpi;

namespace {

constexpr uint64_t k_base = 0xe0000;

AcpiConfig config(uint32_t cpus, unsigned devices) {
    AcpiConfig c;
    c.cpus = cpus;
    for (unsigned i = 0; i < devices; ++i)
        c.virtio.push_back({virtio_mmio_addr(i), 0x1000, 5 + i});
    return c;
}

template <typename T> T get(const std::vector<uint8_t>& b, size_t off) {
    T v{};
    REQUIRE(off + sizeof(T) <= b.size());
    std::memcpy(&v, b.data() + off, sizeof(T));
    return v;
}

// Walks RSDP -> XSDT -> FADT -> DSDT and MADT the way an OS does, checking every
// checksum and length; returns the tables by signature.
std::map<std::string, std::vector<uint8_t>> walk(const std::vector<uint8_t>& blob, uint64_t base) {
    std::map<std::string, std::vector<uint8_t>> out;
    REQUIRE(blob.size() >= 36);
    CHECK(std::memcmp(blob.data(), "RSD PTR ", 8) == 0);
    CHECK(checksum(std::span(blob).first(20)) == 0);
    CHECK(checksum(std::span(blob).first(36)) == 0);
    CHECK(blob[15] == 2);
    CHECK(get<uint32_t>(blob, 20) == 36);
    auto table_at = [&](uint64_t addr) {
        REQUIRE(addr >= base);
        size_t off = addr - base;
        uint32_t len = get<uint32_t>(blob, off + 4);
        REQUIRE(len >= 36);
        REQUIRE(off + len <= blob.size());
        std::vector<uint8_t> t(blob.begin() + off, blob.begin() + off + len);
        CHECK(checksum(t) == 0);
        out[std::string(t.begin(), t.begin() + 4)] = t;
        return t;
    };
    auto xsdt = table_at(get<uint64_t>(blob, 24));
    CHECK(std::memcmp(xsdt.data(), "XSDT", 4) == 0);
    for (size_t off = 36; off + 8 <= xsdt.size(); off += 8)
        table_at(get<uint64_t>(xsdt, off));
    REQUIRE(out.count("FACP"));
    auto dsdt = table_at(get<uint64_t>(out["FACP"], 140));
    CHECK(get<uint32_t>(out["FACP"], 40) == get<uint64_t>(out["FACP"], 140));
    CHECK(std::memcmp(dsdt.data(), "DSDT", 4) == 0);
    return out;
}

size_t count(const std::vector<uint8_t>& hay, const char* needle) {
    size_t n = 0, len = std::strlen(needle);
    for (size_t i = 0; i + len <= hay.size(); ++i)
        n += std::memcmp(hay.data() + i, needle, len) == 0;
    return n;
}

} // namespace

TEST_CASE("acpi: tables chain from the RSDP with valid checksums") {
    auto blob = build_acpi_tables(config(2, 3), k_base).value();
    auto tables = walk(blob, k_base);
    CHECK(tables.size() == 4); // XSDT, FACP, APIC, DSDT
    CHECK(count(tables["DSDT"], "LNRO0005") == 3);
    CHECK(count(tables["DSDT"], "V002") == 1);
    CHECK(count(tables["DSDT"], "COM1") == 1);
    CHECK(count(tables["DSDT"], "_S5_") == 1);
}

TEST_CASE("acpi: the FADT is hardware-reduced with the VMM's power ports") {
    auto tables = walk(build_acpi_tables(config(1, 0), k_base).value(), k_base);
    const auto& f = tables["FACP"];
    CHECK(f.size() == 276);
    CHECK(f[8] == 6);
    CHECK((get<uint32_t>(f, 112) & (1u << 20)) != 0); // HW_REDUCED_ACPI
    CHECK((get<uint32_t>(f, 112) & (1u << 10)) != 0); // RESET_REG_SUP
    CHECK(f[116] == 1);                               // reset register: system I/O
    CHECK(get<uint64_t>(f, 120) == k_reset_port);
    CHECK(f[128] == k_reset_value);
    CHECK(f[244] == 1);
    CHECK(f[245] == 8);
    CHECK(get<uint64_t>(f, 248) == k_sleep_control_port);
    CHECK(get<uint64_t>(f, 260) == k_sleep_status_port);
}

TEST_CASE("acpi: the MADT has one local APIC per vCPU, the IOAPIC and 16 overrides") {
    auto tables = walk(build_acpi_tables(config(4, 1), k_base).value(), k_base);
    const auto& m = tables["APIC"];
    CHECK(get<uint32_t>(m, 36) == k_lapic_addr);
    std::map<uint8_t, int> kinds;
    std::vector<uint8_t> apic_ids;
    size_t off = 44;
    while (off + 2 <= m.size()) {
        uint8_t type = m[off], len = m[off + 1];
        REQUIRE(len >= 2);
        REQUIRE(off + len <= m.size());
        kinds[type]++;
        if (type == 0)
            apic_ids.push_back(m[off + 3]);
        if (type == 1) {
            CHECK(m[off + 2] == 4); // IOAPIC id after the vCPUs
            CHECK(get<uint32_t>(m, off + 4) == k_ioapic_addr);
        }
        off += len;
    }
    CHECK(off == m.size());
    CHECK(apic_ids == std::vector<uint8_t>{0, 1, 2, 3});
    CHECK(kinds[1] == 1);
    CHECK(kinds[2] == 16);
    CHECK(kinds[4] == 1);
}

TEST_CASE("acpi: bad configurations are refused") {
    CHECK(!build_acpi_tables(config(0, 0), k_base));
    CHECK(!build_acpi_tables(config(255, 0), k_base));
    CHECK(!build_acpi_tables(config(1, 0), k_base + 1));
    auto c = config(1, 1);
    c.virtio[0].base = 0xfffff800; // crosses 4 GiB
    CHECK(!build_acpi_tables(c, k_base));
    CHECK(build_acpi_tables(config(254, 10), k_base)); // the largest machine fits
}

TEST_CASE("acpi: the RSDP is where Linux scans for it in guest memory") {
    auto mem = std::move(GuestMemory::create(ram_ranges(2 << 20)).value());
    CHECK(write_acpi_tables(mem, config(1, 2)).value() == 0xe0000);
    bool found = false;
    for (uint64_t at = 0xe0000; at < 0x100000 && !found; at += 16) {
        std::array<uint8_t, 36> r{};
        REQUIRE(mem.read(GuestAddress(at), r));
        found = std::memcmp(r.data(), "RSD PTR ", 8) == 0 && checksum(std::span(r).first(20)) == 0;
    }
    CHECK(found);
}

// iasl (Debian acpica-tools) must decompile every table without an error, and the
// decompiled DSDT must compile again.
TEST_CASE("acpi: iasl -d accepts the tables") {
    REQUIRE_MESSAGE(std::system("iasl -v >/dev/null 2>&1") == 0,
                    "iasl not found: install acpica-tools (scripts/install-deps.sh)");
    char dir[] = "/tmp/hyper-acpi-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    auto tables = walk(build_acpi_tables(config(2, 4), k_base).value(), k_base);
    bool ok = true;
    for (const auto& [sig, bytes] : tables) {
        std::string path = std::string(dir) + "/" + sig + ".dat";
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<long>(bytes.size()));
        std::string cmd = "cd " + std::string(dir) + " && iasl -d " + sig + ".dat >" + sig +
                          ".log 2>&1 && ! grep -qi 'error' " + sig + ".log";
        bool decompiled = std::system(cmd.c_str()) == 0;
        ok = ok && decompiled;
        CHECK_MESSAGE(decompiled, "iasl -d " << sig << ": see " << dir);
    }
    std::string recompile = "cd " + std::string(dir) + " && iasl DSDT.dsl >recompile.log 2>&1";
    bool compiled = std::system(recompile.c_str()) == 0;
    ok = ok && compiled;
    CHECK_MESSAGE(compiled, "iasl DSDT.dsl: see " << dir);
    std::ifstream dsl(std::string(dir) + "/DSDT.dsl");
    std::string text((std::istreambuf_iterator<char>(dsl)), std::istreambuf_iterator<char>());
    CHECK(text.find("\"LNRO0005\"") != std::string::npos);
    CHECK(text.find("Memory32Fixed (ReadWrite,") != std::string::npos);
    CHECK(text.find("0xD0003000") != std::string::npos);
    CHECK(text.find("EisaId (\"PNP0501\")") != std::string::npos);
    if (ok) // otherwise the files stay for a look
        (void)std::system(("rm -rf " + std::string(dir)).c_str());
}
