#pragma once
// Everything one VM is made of, owned in one place. The builder fills it; the runner
// starts the vCPU threads and waits for the first reason to stop.
#include <atomic>
#include <memory>
#include <vector>

#include "base/event_fd.hpp"
#include "base/guest_memory.hpp"
#include "base/thread_role.hpp"
#include "devices/bus.hpp"
#include "devices/control.hpp"
#include "devices/serial.hpp"
#include "devices/virtio/mmio.hpp"
#include "kvm/kvm.hpp"
#include "kvm/vcpu.hpp"

namespace hyper {

class Machine {
  public:
    kvm::Kvm kvm;
    kvm::Vm vm;
    GuestMemory memory;
    devices::Bus pio_bus;
    devices::Bus mmio_bus;
    std::vector<std::unique_ptr<kvm::Vcpu>> vcpus;
    std::shared_ptr<devices::Serial> serial;
    std::shared_ptr<devices::ControlPage> control;
    // the virtio devices, in bus order (also on mmio_bus); --stats reads their counters
    std::vector<std::shared_ptr<virtio::MmioTransport>> virtio;
    EventFd stop_event;
    // vmm run: the guest runs one app; vmm exits with its status (set before vCPUs run)
    bool run_mode{false};
    // what the vCPU threads are (their seccomp filter): Vcpu9p when a 9p share is served
    ThreadRole vcpu_role{ThreadRole::Vcpu};

    // The first call wins: records why the VM stops and wakes the runner.
    void request_stop(int exit_code);
    bool stopping() const { return m_exit_code.load(std::memory_order_acquire) >= 0; }
    int exit_code() const { return m_exit_code.load(std::memory_order_acquire); }

    // The guest asked for a reset (keyboard controller, triple fault, PSCI): a panic
    // leaves 0x1234 at 0x472 (warm-reboot flag, see k_platform_cmdline), anything else
    // is an orderly reboot.
    void guest_reset();

    // The guest init reported the app's exit status (control page); kept for the stop.
    void report_app_status(uint8_t status) {
        m_app_status.store(status, std::memory_order_release);
    }
    // The exit code of an orderly stop (reset, halt, power off): the app's status when
    // one was reported, else 82 (NoAppStatus) in run mode, else 0.
    int orderly_exit_code() const;
    // Run mode: asks the guest init to deliver SIGINT to the app. False when not in run
    // mode (the caller then stops the VM as usual).
    bool forward_interrupt();

  private:
    std::atomic<int> m_exit_code{-1};
    std::atomic<int> m_app_status{-1};
};

} // namespace hyper
