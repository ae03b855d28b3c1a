#pragma once
// --jail DIR [--uid N --gid N]: turns the VM's configuration into what the jail binds
// (sandbox/jail.hpp) and enters it. Paths are made absolute first: inside, every file
// keeps the path it has on the host.
#include "base/result.hpp"
#include "vmm/config.hpp"

namespace hyper {

// Nothing when config.jail_dir is empty. In the jailed child it returns with `config`'s
// paths made absolute; the parent outside never returns (it exits like the child).
Result<void> enter_vm_jail(VmConfig& config);

} // namespace hyper
