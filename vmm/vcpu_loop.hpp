#pragma once
#include "kvm/vcpu.hpp"
#include "vmm/machine.hpp"

namespace hyper {

// Runs one vCPU until the machine stops: every exit is dispatched to the buses or turns
// into a reason to stop.
void vcpu_loop(Machine& machine, kvm::Vcpu& vcpu);

} // namespace hyper
