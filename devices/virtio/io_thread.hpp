#pragma once
// The I/O thread a virtio device runs while the driver has it active: started on
// activation, stopped (its stop eventfd signalled, then joined) on reset or destruction.
// Every signal is blocked on it: signals are for the vCPU threads (kicks) and main.
#include <functional>
#include <thread>

#include "base/event_fd.hpp"
#include "base/result.hpp"

namespace hyper::virtio {

class IoThread {
  public:
    IoThread() = default;
    IoThread(const IoThread&) = delete;
    IoThread& operator=(const IoThread&) = delete;
    ~IoThread() { stop(); }

    // A fresh stop eventfd for the next start(); the worker waits on it.
    Result<void> arm();
    EventFd& stop_event() { return m_stop; }
    // Runs `body` on a new thread named `name`. Failure: ExitCode::HostResource.
    Result<void> start(const char* name, std::function<void()> body);
    // Signals the stop eventfd and joins; nothing when no thread runs.
    void stop();

  private:
    std::thread m_thread;
    EventFd m_stop;
};

} // namespace hyper::virtio
