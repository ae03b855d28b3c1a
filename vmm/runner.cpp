#include "vmm/runner.hpp"

#include <csignal>
#include <cstdio>
#include <malloc.h>
#include <optional>
#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <thread>
#include <unistd.h>

#include "base/log.hpp"
#include "base/thread_role.hpp"
#include "vmm/footprint.hpp"
#include "vmm/vcpu_loop.hpp"

namespace hyper {

namespace {

constexpr int k_kick_signal = SIGUSR1;
constexpr int k_stats_signal = SIGUSR2;
constexpr uint8_t k_escape = 0x01; // Ctrl-A, then 'x' quits
constexpr uint8_t k_ctrl_c = 0x03;

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

// Signals main takes through its signalfd: the stop signals and SIGUSR2 (--stats now).
sigset_t main_signals() {
    sigset_t set = stop_signals();
    sigaddset(&set, k_stats_signal);
    return set;
}

void kick_handler(int) {}

// Console input: returns false when the input has ended.
bool forward_input(Machine& m, Console& console, bool& escape_pending) {
    uint8_t buf[256];
    ssize_t n = ::read(console.input_fd(), buf, sizeof buf);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0)
        return false;
    size_t len = static_cast<size_t>(n);
    if (console.is_terminal()) {
        size_t out = 0;
        for (size_t i = 0; i < len; i++) {
            if (escape_pending) {
                escape_pending = false;
                if (buf[i] == 'x') {
                    LOG_WARN("Ctrl-A x: stopping the VM");
                    m.request_stop(to_int(ExitCode::Terminated));
                    return true;
                }
                if (buf[i] != k_escape)
                    buf[out++] = k_escape; // not an escape: pass Ctrl-A through
            } else if (buf[i] == k_escape) {
                escape_pending = true;
                continue;
            } else if (buf[i] == k_ctrl_c && m.forward_interrupt()) {
                continue; // vmm run: Ctrl-C reaches the app as SIGINT
            }
            buf[out++] = buf[i];
        }
        len = out;
    }
    // The guest drains the UART slowly; what does not fit now is dropped, as on a real
    // serial line with no flow control.
    m.serial->enqueue_input(std::span<const uint8_t>(buf, len));
    return true;
}

} // namespace

Result<void> block_stop_signals() {
    sigset_t set = main_signals();
    if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0)
        return fail_errno("pthread_sigmask");
    struct sigaction sa {};
    sa.sa_handler = kick_handler; // no SA_RESTART: interrupts KVM_RUN
    sigemptyset(&sa.sa_mask);
    if (::sigaction(k_kick_signal, &sa, nullptr) != 0)
        return fail_errno("sigaction");
    return {};
}

Result<int> run_machine(Machine& m, Console& console, bool stats) {
    sigset_t set = main_signals();
    Fd sigfd(::signalfd(-1, &set, SFD_CLOEXEC));
    if (!sigfd.valid())
        return fail_errno("signalfd");
    std::optional<FootprintProbe> probe;
    if (stats)
        probe = TRY(FootprintProbe::open());
    auto print_stats = [&](const char* when) {
        if (!probe)
            return;
        std::string devices;
        for (size_t i = 0; i < m.virtio.size(); i++) {
            std::string counters = m.virtio[i]->device().stats_json();
            if (counters.empty())
                continue;
            if (!devices.empty())
                devices += ',';
            devices += "\"" + std::string(m.virtio[i]->name()) + "." + std::to_string(i) + "\":{" +
                       counters + "}";
        }
        std::fprintf(stderr, "%s\n",
                     footprint_json(probe->measure(m.memory), when, devices).c_str());
    };

    // What the set-up freed (vmm run's image work and initrd pieces) goes back to the
    // kernel here, once: malloc's own trimming is off (sandbox::enable_seccomp).
    ::malloc_trim(0);

    std::vector<std::thread> threads;
    threads.reserve(m.vcpus.size());
    for (auto& vcpu : m.vcpus) {
        try {
            threads.emplace_back([&m, v = vcpu.get()] {
                // Its filter first: the guest drives everything after this.
                if (auto entered = enter_thread_role(m.vcpu_role); !entered) {
                    LOG_ERROR("vCPU %u: %s", v->id(), entered.error().to_string().c_str());
                    m.request_stop(to_int(ExitCode::HostResource));
                    return;
                }
                vcpu_loop(m, *v);
            });
        } catch (const std::system_error& e) {
            m.request_stop(to_int(ExitCode::HostResource));
            LOG_ERROR("cannot start a vCPU thread: %s", e.what());
            break;
        }
    }

    // Every thread exists now (the devices' I/O threads were created with them): main
    // takes its own filter last, so no other thread inherits it.
    if (auto entered = enter_thread_role(ThreadRole::Vmm); !entered) {
        LOG_ERROR("%s", entered.error().to_string().c_str());
        m.request_stop(to_int(ExitCode::HostResource));
    }

    bool input_open = console.input_fd() >= 0;
    bool escape_pending = false;
    while (!m.stopping()) {
        pollfd fds[3] = {{m.stop_event.fd(), POLLIN, 0},
                         {sigfd.get(), POLLIN, 0},
                         {input_open ? console.input_fd() : -1, POLLIN, 0}};
        int r = ::poll(fds, 3, -1);
        if (r < 0 && errno != EINTR)
            return fail_errno("poll");
        if (fds[1].revents & POLLIN) {
            signalfd_siginfo info{};
            if (::read(sigfd.get(), &info, sizeof info) != sizeof info) {
                // nothing: a spurious wake-up
            } else if (info.ssi_signo == k_stats_signal) {
                print_stats("now");
            } else if (info.ssi_signo == SIGINT && m.forward_interrupt()) {
                LOG_INFO("SIGINT: passed to the app");
            } else {
                LOG_WARN("got signal %u: stopping the VM", info.ssi_signo);
                m.request_stop(to_int(ExitCode::Terminated));
            }
        }
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
            input_open = forward_input(m, console, escape_pending);
    }

    // Kick every vCPU out of KVM_RUN: immediate_exit covers a vCPU about to enter,
    // the signal one already inside.
    for (size_t i = 0; i < threads.size(); i++) {
        m.vcpus[i]->set_immediate_exit(true);
        ::pthread_kill(threads[i].native_handle(), k_kick_signal);
    }
    for (auto& t : threads)
        t.join();
    print_stats("exit");
    return m.exit_code();
}

} // namespace hyper
