#include "vmm/machine.hpp"

#include "base/log.hpp"

namespace hyper {

void Machine::request_stop(int exit_code) {
    int expected = -1;
    if (m_exit_code.compare_exchange_strong(expected, exit_code, std::memory_order_acq_rel))
        stop_event.signal();
}

void Machine::guest_reset() {
#if defined(__x86_64__)
    constexpr uint64_t k_reset_flag_addr = 0x472;
    constexpr uint16_t k_warm_reset = 0x1234;
    auto flag = memory.read_obj<uint16_t>(GuestAddress(k_reset_flag_addr));
    if (flag && *flag == k_warm_reset) {
        LOG_INFO("guest reset after a kernel panic");
        request_stop(to_int(ExitCode::GuestPanic));
        return;
    }
#endif
    LOG_INFO("guest reset: stopping the VM");
    request_stop(orderly_exit_code());
}

int Machine::orderly_exit_code() const {
    int status = m_app_status.load(std::memory_order_acquire);
    if (status >= 0)
        return status;
    if (run_mode) {
        LOG_ERROR("the guest stopped without reporting the app's exit status");
        return to_int(ExitCode::NoAppStatus);
    }
    return to_int(ExitCode::Ok);
}

bool Machine::forward_interrupt() {
    if (!run_mode || !control)
        return false;
    control->post_signal(2); // SIGINT
    return true;
}

} // namespace hyper
