#include "devices/virtio/io_thread.hpp"

#include <pthread.h>
#include <signal.h>
#include <string>
#include <system_error>

namespace hyper::virtio {

Result<void> IoThread::arm() {
    m_stop = TRY(EventFd::create());
    return {};
}

Result<void> IoThread::start(const char* name, std::function<void()> body) {
    try {
        m_thread = std::thread([name, body = std::move(body)] {
            sigset_t all;
            sigfillset(&all);
            pthread_sigmask(SIG_BLOCK, &all, nullptr);
            pthread_setname_np(pthread_self(), name);
            body();
        });
    } catch (const std::system_error& e) {
        return fail(ExitCode::HostResource,
                    std::string("cannot start the I/O thread: ") + e.what());
    }
    return {};
}

void IoThread::stop() {
    if (m_thread.joinable()) {
        m_stop.signal();
        m_thread.join();
    }
}

} // namespace hyper::virtio
