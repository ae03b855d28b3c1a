// vmm: boots one microVM and exits with the guest's result. See README.md for the
// exit codes and ARCHITECTURE.md for the start-up flow.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "base/log.hpp"
#include "base/thread_role.hpp"
#include "sandbox/seccomp.hpp"
#include "vmm/boot_timer.hpp"
#include "vmm/builder.hpp"
#include "vmm/cli.hpp"
#include "vmm/console.hpp"
#include "vmm/jail_setup.hpp"
#include "vmm/run_command.hpp"
#include "vmm/runner.hpp"

using namespace hyper;

namespace {

// Before the jail and the syscall filters: at exit there is only a write(2) left to do.
Result<void> open_boot_timer_output(const std::string& path) {
    if (path.empty()) {
        boot_timer().set_output(STDERR_FILENO);
        return {};
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(ExitCode::CantCreate,
                    "--boot-timer=" + path + ": " + std::string(std::strerror(errno)));
    boot_timer().set_output(fd);
    return {};
}

Result<int> run(int argc, char** argv) {
    // Before any thread exists, so every thread inherits the mask and the stack size.
    TRY(block_stop_signals());
    TRY(use_small_thread_stacks());
    if (is_image_command(argc, argv))
        return run_image_command(argc, argv); // vmm image build|inspect: no VM
    auto config =
        TRY(is_run_command(argc, argv) ? prepare_run(argc, argv) : parse_command_line(argc, argv));
    if (!config)
        return 0; // --help or --version
    boot_timer().mark(BootPoint::ArgsParsed);
    if (config->boot_timer)
        TRY(open_boot_timer_output(*config->boot_timer));
    set_log_level(config->log_level);
    // Before anything is opened or any thread exists (it forks; the parent waits).
    TRY(enter_vm_jail(*config));
    // Before any thread exists: each thread installs its role's filter as it starts.
    TRY(sandbox::enable_seccomp(config->seccomp));
    if (config->seccomp == sandbox::SeccompMode::Off)
        LOG_WARN("--seccomp=off: no syscall filters (use it only for debugging)");
    auto console = TRY(Console::open(config->console));
    auto machine = TRY(build_machine(*config, console));
    return TRY(run_machine(*machine, console, config->stats));
}

} // namespace

int main(int argc, char** argv) {
    boot_timer().start();
    auto result = run(argc, argv);
    if (!result) {
        std::fprintf(stderr, "vmm: error: %s\n", result.error().to_string().c_str());
        boot_timer().report();
        return to_int(result.error().exit_code());
    }
    boot_timer().report();
    return *result;
}
