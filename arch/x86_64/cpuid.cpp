#include "arch/x86_64/cpuid.hpp"

namespace hyper::x86 {

namespace {
constexpr uint32_t ECX_HYPERVISOR = 1u << 31;
// KVM's in-kernel local APIC has the TSC-deadline timer but KVM_GET_SUPPORTED_CPUID leaves
// the bit to userspace (KVM_CAP_TSC_DEADLINE_TIMER, checked at open). Without it Linux
// calibrates the APIC timer against its tick at boot: 100 ms or more spent waiting.
constexpr uint32_t ECX_TSC_DEADLINE = 1u << 24;
constexpr uint32_t EDX_HTT = 1u << 28;
constexpr uint32_t LEAF7_ECX_PKU = 1u << 3, LEAF7_ECX_OSPKE = 1u << 4;
constexpr uint32_t XCR0_PKRU = 1u << 9;

// Protection keys are hidden: a microVM guest has no use for them, and some CPU models
// (QEMU's TCG "max", which the test bed runs on) place the PKRU state where the
// XSAVE size in leaf 0xd no longer matches, which Linux reports with a WARNING.
// Leaf 0xd.0 ECX and EBX (XSAVE area sizes) are recomputed to match.
void hide_pkru(std::vector<CpuidEntry>& entries) {
    uint32_t xcr0 = 0;
    for (auto& e : entries) {
        if (e.function == 0x7 && e.index == 0)
            e.ecx &= ~(LEAF7_ECX_PKU | LEAF7_ECX_OSPKE);
        if (e.function == 0xd && e.index == 0) {
            e.eax &= ~XCR0_PKRU;
            xcr0 = e.eax;
        }
    }
    uint32_t size = 576; // legacy area + XSAVE header
    for (auto& e : entries)
        if (e.function == 0xd && e.index >= 2 && e.index < 32 && (xcr0 & (1u << e.index)) &&
            e.eax + e.ebx > size)
            size = e.eax + e.ebx;
    for (auto& e : entries) {
        if (e.function == 0xd && e.index == 9) {
            e.eax = e.ebx = e.ecx = e.edx = 0;
        }
        if (e.function == 0xd && e.index == 0) {
            // ECX: all supported features. EBX: those enabled in XCR0, which KVM updates
            // on XSETBV; start it at the size Linux will enable (all of them) so that a
            // KVM that does not update it still agrees with the guest's own sum.
            e.ecx = size;
            e.ebx = size;
        }
    }
}

uint32_t bits_for(uint32_t count) {
    uint32_t shift = 0;
    while ((1u << shift) < count)
        shift++;
    return shift;
}
} // namespace

std::vector<CpuidEntry> vcpu_cpuid(std::vector<CpuidEntry> entries, uint32_t id, uint32_t count) {
    const uint32_t shift = bits_for(count);
    hide_pkru(entries);
    for (auto& e : entries) {
        switch (e.function) {
        case 0x1:
            e.ebx = (e.ebx & 0x0000ffff) | (id << 24) | ((count & 0xff) << 16);
            e.ecx |= ECX_HYPERVISOR | ECX_TSC_DEADLINE;
            if (count > 1)
                e.edx |= EDX_HTT;
            else
                e.edx &= ~EDX_HTT;
            break;
        case 0x4: {
            // cores per package - 1 in EAX[31:26]; each cache private to one thread
            // except the last level, shared by all.
            uint32_t level = (e.eax >> 5) & 0x7;
            uint32_t sharing = level >= 3 ? count - 1 : 0;
            e.eax = (e.eax & 0x3fff) | ((sharing & 0xfff) << 14) | (((count - 1) & 0x3f) << 26);
            break;
        }
        case 0xb:
        case 0x1f:
            // level 0: SMT (one thread per core); level 1: cores; then invalid.
            if (e.index == 0) {
                e.eax = 0;
                e.ebx = 1;
                e.ecx = (1u << 8) | 0;
            } else if (e.index == 1) {
                e.eax = shift;
                e.ebx = count;
                e.ecx = (2u << 8) | 1;
            } else {
                e.eax = 0;
                e.ebx = 0;
                e.ecx = e.index;
            }
            e.edx = id;
            break;
        case 0x80000008:
            // AMD: number of cores - 1 and the APIC id bits that number them.
            e.ecx = (e.ecx & ~0xf0ffu) | ((count - 1) & 0xff) | (shift << 12);
            break;
        default: break;
        }
    }
    return entries;
}

std::vector<MsrEntry> boot_msrs() {
    return {
        {0x174, 0},              // IA32_SYSENTER_CS
        {0x175, 0},              // IA32_SYSENTER_ESP
        {0x176, 0},              // IA32_SYSENTER_EIP
        {0xc0000081, 0},         // STAR
        {0xc0000082, 0},         // LSTAR
        {0xc0000083, 0},         // CSTAR
        {0xc0000084, 0},         // SYSCALL_MASK
        {0xc0000102, 0},         // KERNEL_GS_BASE
        {0x10, 0},               // IA32_TSC
        {0x1a0, 1},              // IA32_MISC_ENABLE: fast string operations
        {0x2ff, (1u << 11) | 6}, // MTRRdefType: MTRRs on, default write-back
    };
}

} // namespace hyper::x86
