#pragma once
// One vCPU: its fd and its kvm_run area. run() is the one place that decodes kvm_run.
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "base/fd.hpp"
#include "base/mapping.hpp"
#include "base/result.hpp"
#include "kvm/arm64_state.hpp"
#include "kvm/vcpu_exit.hpp"
#include "kvm/x86_state.hpp"

struct kvm_run;

namespace hyper::kvm {

class Vcpu {
  public:
    Vcpu(uint32_t id, Fd fd, Mapping run_area);
    Vcpu(const Vcpu&) = delete;
    Vcpu& operator=(const Vcpu&) = delete;

    uint32_t id() const { return m_id; }

    // Enters the guest until the next exit that needs userspace. The returned spans
    // stay valid until the next call.
    Result<VcpuExit> run();
    // Makes the current or next run() return Interrupted (with a signal to the thread).
    void set_immediate_exit(bool on);

    // x86 set-up.
    Result<void> set_cpuid(std::span<const x86::CpuidEntry> entries);
    Result<void> set_msrs(std::span<const x86::MsrEntry> msrs);
    Result<void> set_boot_state(const x86::BootCpuState& state);
    // FPU reset state and LAPIC LINT0 = ExtINT, LINT1 = NMI.
    Result<void> init_fpu_and_lapic();
    // TSC frequency KVM gives this vCPU, in kHz.
    Result<uint32_t> tsc_khz();

    // aarch64 set-up (kvm/arm64.cpp): KVM_ARM_VCPU_INIT with `target` and PSCI 0.2; a
    // vCPU other than the boot one starts powered off (the guest starts it with PSCI
    // CPU_ON).
    Result<void> arm_init(uint32_t target, bool powered_off);
    // MPIDR_EL1 as KVM set it (the affinity the device tree names).
    Result<uint64_t> mpidr();
    Result<void> set_boot_state(const arm64::BootCpuState& state);

  private:
    uint32_t m_id;
    Fd m_fd;
    Mapping m_run_area;
    kvm_run* m_run;
};

} // namespace hyper::kvm
