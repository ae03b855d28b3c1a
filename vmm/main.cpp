// vmm: boots one microVM and exits with the guest's result. See README.md for the
// exit codes and ARCHITECTURE.md for the start-up flow.
#include <cstdio>

#include "base/log.hpp"
#include "vmm/builder.hpp"
#include "vmm/cli.hpp"
#include "vmm/console.hpp"
#include "vmm/runner.hpp"

using namespace hyper;

namespace {

Result<int> run(int argc, char** argv) {
    // Before any thread exists, so every thread inherits the mask.
    TRY(block_stop_signals());
    auto config = TRY(parse_command_line(argc, argv));
    if (!config)
        return 0; // --help or --version
    set_log_level(config->log_level);
    auto console = TRY(Console::open(config->console));
    auto machine = TRY(build_machine(*config, console));
    return TRY(run_machine(*machine, console));
}

} // namespace

int main(int argc, char** argv) {
    auto result = run(argc, argv);
    if (!result) {
        std::fprintf(stderr, "vmm: error: %s\n", result.error().to_string().c_str());
        return to_int(result.error().exit_code());
    }
    return *result;
}
