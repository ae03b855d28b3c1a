#pragma once
// The I/O thread of one virtio device. It is created with the device (on the main thread,
// before any seccomp filter exists: filters are inherited by the threads a filtered thread
// creates, and stack), enters its ThreadRole first thing (the sandbox installs that
// role's filter) and then parks on an eventfd. Activation hands it a body to run; reset
// signals the stop eventfd the body waits on and waits until the body has returned; the
// thread then parks again. It ends with the device. So activation and reset, which run
// on a vCPU thread, never create or join a thread.
// Every signal is blocked on it: signals are for the vCPU threads (kicks) and main.
#include <atomic>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <string>

#include "base/event_fd.hpp"
#include "base/result.hpp"
#include "base/thread_role.hpp"

namespace hyper::virtio {

class IoThread {
  public:
    // Starts the parked thread, named after the role ("virtio-blk", ...). A failure (no
    // thread, or the role's filter refused) is reported by start().
    explicit IoThread(ThreadRole role);
    IoThread(const IoThread&) = delete;
    IoThread& operator=(const IoThread&) = delete;
    ~IoThread();

    // Drains the stop eventfd before the next start(); the worker waits on it.
    Result<void> arm();
    EventFd& stop_event() { return m_stop; }
    // Runs `body` on the parked thread (`name` is for error messages). Failure:
    // ExitCode::HostResource when the thread could not be set up.
    Result<void> start(const char* name, std::function<void()> body);
    // Signals the stop eventfd and waits until the body has returned; nothing when no
    // body runs.
    void stop();

  private:
    static void* entry(void* self);
    void park_loop();
    // Blocks until `event` has been signalled (retrying on EINTR).
    static void wait(const EventFd& event);

    ThreadRole m_role;
    pthread_t m_thread{};
    bool m_have_thread{false};
    std::string m_setup_error; // empty: the thread is parked and filtered
    EventFd m_stop;            // non-blocking: the body polls it
    EventFd m_go;              // blocking: wakes the parked thread
    EventFd m_done;            // blocking: set-up finished, or the body returned
    std::mutex m_mutex;        // guards m_body and m_exit
    std::function<void()> m_body;
    bool m_exit{false};
    bool m_running{false}; // only touched by the thread calling start()/stop()
};

} // namespace hyper::virtio
