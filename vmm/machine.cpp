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
    request_stop(to_int(ExitCode::Ok));
}

} // namespace hyper
