#pragma once
// CPUID and MSR set-up for one vCPU: pure functions over KVM's supported list.
#include <cstdint>
#include <vector>

#include "kvm/x86_state.hpp"

namespace hyper::x86 {

// Takes KVM_GET_SUPPORTED_CPUID's list and fixes what Linux reads for topology and
// hypervisor detection: APIC ids, the number of logical processors, the hypervisor bit,
// leaves 0xb/0x1f (x2APIC topology) and AMD's core count. vCPUs are cores of one socket.
std::vector<CpuidEntry> vcpu_cpuid(std::vector<CpuidEntry> supported, uint32_t vcpu_id,
                                   uint32_t vcpu_count);

// The MSR values a freshly reset x86 vCPU should have for a Linux entry.
std::vector<MsrEntry> boot_msrs();

} // namespace hyper::x86
