#pragma once
// Architecture-neutral description of an arm64 vCPU's boot state and the interrupt
// controller. arch/aarch64 fills them (pure code, unit-tested without KVM); kvm/ turns
// them into KVM_SET_ONE_REG and KVM_CREATE_DEVICE calls. No <linux/kvm.h> here.
#include <cstdint>

namespace hyper::arm64 {

// EL1h (SP_EL1) with D, A, I and F masked: how the boot protocol enters the kernel.
inline constexpr uint64_t k_pstate_el1h_masked = 0x3c5;

struct BootCpuState {
    uint64_t pc{0};
    uint64_t x0{0}; // the device tree's guest physical address
    uint64_t pstate{k_pstate_el1h_masked};
};

enum class GicVersion { V2, V3 };

// Where the in-kernel GIC's frames go in guest physical memory.
struct GicLayout {
    uint64_t dist_addr{0};
    uint64_t redist_addr{0}; // GICv3: the redistributors, one 128 KiB frame per vCPU
    uint64_t cpu_addr{0};    // GICv2: the CPU interface
    uint32_t nr_irqs{0};     // SGIs + PPIs + SPIs, a multiple of 32
};

} // namespace hyper::arm64
