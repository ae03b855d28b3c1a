#pragma once
// The one place that wires a VM: KVM, guest memory, the kernel and initrd, the platform
// devices on their buses, and the vCPUs in their boot state.
#include <memory>

#include "base/result.hpp"
#include "vmm/config.hpp"
#include "vmm/console.hpp"
#include "vmm/machine.hpp"

namespace hyper {

Result<std::unique_ptr<Machine>> build_machine(const VmConfig& config, const Console& console);

} // namespace hyper
