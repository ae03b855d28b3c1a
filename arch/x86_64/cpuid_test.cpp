#include "arch/x86_64/cpuid.hpp"

#include <doctest/doctest.h>

using namespace hyper::x86;

TEST_CASE("vcpu_cpuid sets APIC ids, counts, the hypervisor and TSC-deadline bits") {
    std::vector<CpuidEntry> supported = {
        {0x1, 0, 0, 0x000806f0, 0x00000800, 0, 0},
        {0xb, 0, 1, 0, 0, 0, 0},
        {0xb, 1, 1, 0, 0, 0, 0},
        {0x80000008, 0, 0, 0x3030, 0, 0, 0},
    };
    auto e = vcpu_cpuid(supported, 2, 3);
    CHECK((e[0].ebx >> 24) == 2);
    CHECK(((e[0].ebx >> 16) & 0xff) == 3);
    CHECK((e[0].ebx & 0xffff) == 0x0800);
    CHECK((e[0].ecx & (1u << 31)) != 0);
    CHECK((e[0].ecx & (1u << 24)) != 0); // TSC-deadline timer: no APIC timer calibration
    CHECK((e[0].edx & (1u << 28)) != 0);
    CHECK(e[1].edx == 2);
    CHECK(e[1].ebx == 1);
    CHECK(e[2].ebx == 3);
    CHECK(e[2].eax == 2); // two bits number three cores
    CHECK((e[3].ecx & 0xff) == 2);
    auto one = vcpu_cpuid(supported, 0, 1);
    CHECK((one[0].edx & (1u << 28)) == 0);
}

TEST_CASE("vcpu_cpuid hides protection keys and keeps the XSAVE size consistent") {
    std::vector<CpuidEntry> supported = {
        {0x7, 0, 1, 0, 0, (1u << 3) | (1u << 4) | 1u, 0},
        {0xd, 0, 1, 0x207, 0x240, 0xa88, 0},
        {0xd, 2, 1, 0x100, 0x240, 0, 0},
        {0xd, 9, 1, 0x8, 0xa80, 0, 0},
    };
    auto e = vcpu_cpuid(supported, 0, 1);
    CHECK(e[0].ecx == 1u);
    CHECK(e[1].eax == 0x7);
    CHECK(e[1].ecx == 0x340);
    CHECK(e[1].ebx == 0x340);
    CHECK(e[3].eax == 0);
}
