#pragma once
#include "base/result.hpp"
#include "vmm/console.hpp"
#include "vmm/machine.hpp"

namespace hyper {

// Blocks the stop signals and SIGUSR2 (call first thing in main, before any thread exists).
Result<void> block_stop_signals();

// Starts one thread per vCPU, forwards console input, and waits for the guest to stop
// or for SIGTERM/SIGINT/SIGHUP. Returns vmm's exit code. With `stats`, prints the
// footprint (vmm/footprint.hpp) as a JSON line on stderr on SIGUSR2 and at the end.
Result<int> run_machine(Machine& machine, Console& console, bool stats = false);

} // namespace hyper
