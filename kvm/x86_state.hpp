#pragma once
// Architecture-neutral description of an x86 vCPU's initial register state. arch/x86_64
// fills it (pure code, unit-tested without KVM); kvm/vcpu.cpp turns it into kvm_regs
// and kvm_sregs. No <linux/kvm.h> here.
#include <cstdint>

namespace hyper::x86 {

struct Segment {
    uint64_t base{0};
    uint32_t limit{0};
    uint16_t selector{0};
    uint8_t type{0}; // 4-bit type field of the descriptor
    uint8_t present{0};
    uint8_t dpl{0};
    uint8_t db{0}; // default operation size (1 = 32-bit)
    uint8_t s{0};  // 1 = code/data, 0 = system
    uint8_t l{0};  // 64-bit code
    uint8_t g{0};  // 4 KiB granularity
};

struct DescriptorTable {
    uint64_t base{0};
    uint16_t limit{0};
};

struct BootCpuState {
    // general registers
    uint64_t rip{0};
    uint64_t rsp{0};
    uint64_t rbp{0};
    uint64_t rsi{0};
    uint64_t rbx{0};
    uint64_t rflags{0x2};
    // segments and tables
    Segment cs, ds, es, fs, gs, ss, tr, ldt;
    DescriptorTable gdt, idt;
    // control registers
    uint64_t cr0{0};
    uint64_t cr3{0};
    uint64_t cr4{0};
    uint64_t efer{0};
};

} // namespace hyper::x86

namespace hyper::x86 {

// One CPUID leaf as KVM reports and takes it.
struct CpuidEntry {
    uint32_t function{0};
    uint32_t index{0};
    uint32_t flags{0}; // bit 0: the index (subleaf) is significant
    uint32_t eax{0}, ebx{0}, ecx{0}, edx{0};
};

struct MsrEntry {
    uint32_t index{0};
    uint64_t value{0};
};

} // namespace hyper::x86
