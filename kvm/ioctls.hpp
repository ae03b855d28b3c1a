#pragma once
// The KVM ioctl request numbers other layers need to name without including
// <linux/kvm.h> (the sandbox pins each thread role's ioctls to them).
#include "kvm/linux_kvm.hpp"

namespace hyper::kvm {

inline constexpr unsigned long k_ioctl_run = KVM_RUN;
inline constexpr unsigned long k_ioctl_create_vcpu = KVM_CREATE_VCPU;
inline constexpr unsigned long k_ioctl_create_vm = KVM_CREATE_VM;

} // namespace hyper::kvm
