#pragma once
#include "base/result.hpp"
#include "vmm/console.hpp"
#include "vmm/machine.hpp"

namespace hyper {

// Blocks the stop signals (call first thing in main, before any thread exists).
Result<void> block_stop_signals();

// Starts one thread per vCPU, forwards console input, and waits for the guest to stop
// or for SIGTERM/SIGINT/SIGHUP. Returns vmm's exit code.
Result<int> run_machine(Machine& machine, Console& console);

} // namespace hyper
