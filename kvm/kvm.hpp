#pragma once
// RAII wrappers over the KVM API: the system fd (/dev/kvm) and a VM fd. This folder is
// the only place that includes <linux/kvm.h> and issues KVM ioctls.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "base/result.hpp"
#include "kvm/arm64_state.hpp"
#include "kvm/x86_state.hpp"

namespace hyper::kvm {

class Vcpu;

class Kvm {
  public:
    // Opens the device (default /dev/kvm), checks the API version and every capability
    // the VMM uses; the error names the first one missing.
    static Result<Kvm> open(const std::string& path = "/dev/kvm");

    int fd() const { return m_fd.get(); }
    int vcpu_mmap_size() const { return m_vcpu_mmap_size; }
    int max_vcpus() const { return m_max_vcpus; }
    Result<std::vector<x86::CpuidEntry>> supported_cpuid() const;
    // Number of the KVM_CAP_* `cap` (0 when absent).
    int check_extension(unsigned long cap) const;

  private:
    Fd m_fd;
    int m_vcpu_mmap_size{0};
    int m_max_vcpus{1};
};

class Vm {
  public:
    static Result<Vm> create(const Kvm& kvm);

    int fd() const { return m_fd.get(); }

    Result<void> set_memory_region(uint32_t slot, uint64_t guest_phys, uint64_t size, void* host);
    // x86: in-kernel PIC + IOAPIC + LAPIC and the PIT.
    Result<void> create_platform_irqchip();
    Result<void> set_irq_line(uint32_t gsi, bool level);
    // The eventfd raises `gsi` when written (edge).
    Result<void> register_irqfd(int eventfd, uint32_t gsi);
    // A guest write of `len` bytes to `addr` signals `eventfd` without leaving the kernel;
    // with `datamatch`, only a write of that value does (one eventfd per virtqueue on a
    // shared QueueNotify register).
    Result<void> register_ioeventfd(int eventfd, uint64_t addr, uint32_t len, bool pio,
                                    std::optional<uint64_t> datamatch = std::nullopt);
    Result<std::unique_ptr<Vcpu>> create_vcpu(const Kvm& kvm, uint32_t id);

    // aarch64 (kvm/arm64.cpp): the in-kernel GIC through KVM_CREATE_DEVICE, a GICv3 when
    // the host has one, else a GICv2, its frames at `layout`; after every vCPU exists,
    // finalize_gic() initialises it (KVM_DEV_ARM_VGIC_CTRL_INIT).
    Result<arm64::GicVersion> create_gic(const arm64::GicLayout& layout);
    Result<void> finalize_gic();
    // The kvm_vcpu_init target KVM prefers for this host's CPUs (KVM_ARM_PREFERRED_TARGET).
    Result<uint32_t> preferred_target() const;

  private:
    Fd m_fd;
#if defined(__aarch64__)
    Fd m_gic;
#endif
};

} // namespace hyper::kvm
