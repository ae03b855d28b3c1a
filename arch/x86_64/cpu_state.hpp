#pragma once
// The boot vCPU's registers at the kernel's first instruction.
#include <cstdint>

#include "arch/x86_64/layout.hpp"
#include "boot/kernel.hpp"
#include "kvm/x86_state.hpp"

namespace hyper::x86 {

inline constexpr uint64_t k_cr0_pe = 1ull << 0;
inline constexpr uint64_t k_cr0_et = 1ull << 4;
inline constexpr uint64_t k_cr0_pg = 1ull << 31;
inline constexpr uint64_t k_cr4_pae = 1ull << 5;
inline constexpr uint64_t k_efer_lme = 1ull << 8;
inline constexpr uint64_t k_efer_lma = 1ull << 10;

// Linux 64-bit boot protocol: long mode, paging on (k_pml4_addr), CS = 0x10, DS/ES/SS =
// 0x18, RSI = boot_params, interrupts off.
BootCpuState long_mode_cpu_state(uint64_t entry, uint64_t zero_page = k_zero_page_addr);

// PVH: 32-bit protected mode, paging off, flat CS (0x20) and DS/ES/SS (0x18),
// EBX = hvm_start_info, TR a busy 32-bit TSS.
BootCpuState pvh_cpu_state(uint64_t entry, uint64_t start_info = k_start_info_addr);

// The one of the two that `kernel` asks for.
BootCpuState boot_cpu_state(const boot::LoadedKernel& kernel);

} // namespace hyper::x86
