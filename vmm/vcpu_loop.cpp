#include "vmm/vcpu_loop.hpp"

#include <algorithm>
#include <cstdio>

#include "base/log.hpp"
#include "vmm/boot_timer.hpp"

namespace hyper {

namespace {

template <class... Ts> struct Overloaded : Ts... { using Ts::operator()...; };
template <class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

// Rate limit for messages the guest can provoke at will.
bool may_log(std::atomic<uint32_t>& counter) {
    return counter.fetch_add(1, std::memory_order_relaxed) < 16;
}
std::atomic<uint32_t> g_unhandled_logs{0};

} // namespace

void vcpu_loop(Machine& m, kvm::Vcpu& vcpu) {
    if (vcpu.id() == 0)
        boot_timer().mark(BootPoint::FirstKvmRun);
    while (!m.stopping()) {
        auto result = vcpu.run();
        if (!result) {
            LOG_ERROR("vCPU %u: %s", vcpu.id(), result.error().to_string().c_str());
            m.request_stop(to_int(ExitCode::Internal));
            break;
        }
        std::visit(
            Overloaded{
                [&](const kvm::IoIn& io) {
                    for (uint32_t i = 0; i < io.count; i++) {
                        auto item = io.data.subspan(size_t(i) * io.size, io.size);
                        if (!m.pio_bus.read(io.port, item))
                            std::fill(item.begin(), item.end(), 0xff);
                    }
                },
                [&](const kvm::IoOut& io) {
                    for (uint32_t i = 0; i < io.count; i++)
                        m.pio_bus.write(io.port, io.data.subspan(size_t(i) * io.size, io.size));
                },
                [&](const kvm::MmioRead& mmio) {
                    if (!m.mmio_bus.read(mmio.address, mmio.data)) {
                        std::fill(mmio.data.begin(), mmio.data.end(), 0xff);
                        if (may_log(g_unhandled_logs))
                            LOG_DEBUG("unhandled MMIO read at 0x%llx",
                                      (unsigned long long)mmio.address);
                    }
                },
                [&](const kvm::MmioWrite& mmio) {
                    if (!m.mmio_bus.write(mmio.address, mmio.data) && may_log(g_unhandled_logs))
                        LOG_DEBUG("unhandled MMIO write at 0x%llx",
                                  (unsigned long long)mmio.address);
                },
                [&](const kvm::Hlt&) {
                    LOG_INFO("vCPU %u halted", vcpu.id());
                    m.request_stop(m.orderly_exit_code());
                },
                [&](const kvm::Shutdown&) { m.guest_reset(); },
                [&](const kvm::SystemEvent& e) {
                    switch (e.kind) {
                    case kvm::SystemEvent::Kind::Shutdown:
                        m.request_stop(m.orderly_exit_code());
                        break;
                    case kvm::SystemEvent::Kind::Reset:
                        if (e.warm) { // aarch64: a panic with reboot=panic_warm
                            LOG_INFO("guest warm reset after a kernel panic");
                            m.request_stop(to_int(ExitCode::GuestPanic));
                        } else {
                            m.guest_reset();
                        }
                        break;
                    case kvm::SystemEvent::Kind::Crash:
                        m.request_stop(to_int(ExitCode::GuestPanic));
                        break;
                    case kvm::SystemEvent::Kind::Other: break;
                    }
                },
                [&](const kvm::Interrupted&) {},
                [&](const kvm::InternalError& e) {
                    static const char* const names[] = {
                        "?", "instruction emulation failed", "exception during emulation",
                        "event delivery failed", "unexpected exit reason"};
                    char data[96] = "";
                    for (uint32_t i = 0, at = 0; i < e.ndata && at < sizeof data; i++)
                        at += std::snprintf(data + at, sizeof data - at, " 0x%llx",
                                            (unsigned long long)e.data[i]);
                    LOG_ERROR("vCPU %u: KVM internal error %u (%s); data:%s", vcpu.id(), e.suberror,
                              e.suberror < 5 ? names[e.suberror] : "?", data);
                    m.request_stop(to_int(ExitCode::GuestCrash));
                },
                [&](const kvm::FailEntry& e) {
                    LOG_ERROR("vCPU %u: VM entry failed (reason 0x%llx)", vcpu.id(),
                              (unsigned long long)e.reason);
                    m.request_stop(to_int(ExitCode::GuestCrash));
                },
                [&](const kvm::Unknown& e) {
                    LOG_ERROR("vCPU %u: unexpected KVM exit %u", vcpu.id(), e.exit_reason);
                    m.request_stop(to_int(ExitCode::GuestCrash));
                },
            },
            *result);
    }
}

} // namespace hyper
