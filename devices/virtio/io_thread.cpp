#include "devices/virtio/io_thread.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>

namespace hyper::virtio {

namespace {

const char* thread_name(ThreadRole role) {
    switch (role) {
    case ThreadRole::Block: return "virtio-blk";
    case ThreadRole::Net: return "virtio-net";
    case ThreadRole::Vsock: return "virtio-vsock";
    default: return "virtio-io";
    }
}

} // namespace

IoThread::IoThread(ThreadRole role) : m_role(role) {
    auto stop = EventFd::create();
    auto go = EventFd::create(false);
    auto done = EventFd::create(false);
    if (!stop || !go || !done) {
        m_setup_error = "eventfd: " + std::string(std::strerror(errno));
        return;
    }
    m_stop = std::move(*stop);
    m_go = std::move(*go);
    m_done = std::move(*done);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, k_thread_stack_size); // workers keep buffers on the heap
    // Created with every signal blocked, so none reaches it before it runs.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&m_thread, &attr, &IoThread::entry, this);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        m_setup_error = "cannot create a thread: " + std::string(std::strerror(err));
        return;
    }
    m_have_thread = true;
    wait(m_done); // the thread has entered its role (or failed to)
}

IoThread::~IoThread() {
    stop();
    if (!m_have_thread)
        return;
    {
        std::lock_guard lock(m_mutex);
        m_exit = true;
    }
    m_go.signal();
    pthread_join(m_thread, nullptr);
}

void* IoThread::entry(void* self) {
    static_cast<IoThread*>(self)->park_loop();
    return nullptr;
}

void IoThread::park_loop() {
    pthread_setname_np(pthread_self(), thread_name(m_role));
    if (auto entered = enter_thread_role(m_role); !entered) {
        m_setup_error = entered.error().to_string();
        m_done.signal();
        return;
    }
    m_done.signal();
    for (;;) {
        wait(m_go);
        std::function<void()> body;
        {
            std::lock_guard lock(m_mutex);
            if (m_exit)
                return;
            body = std::move(m_body);
        }
        if (body)
            body();
        m_done.signal();
    }
}

void IoThread::wait(const EventFd& event) {
    while (event.consume() == 0) {
        // EINTR (a kick signal on a vCPU thread): wait again
    }
}

Result<void> IoThread::arm() {
    m_stop.consume();
    return {};
}

Result<void> IoThread::start(const char* name, std::function<void()> body) {
    if (!m_setup_error.empty() || !m_have_thread)
        return fail(ExitCode::HostResource,
                    std::string(name) + ": the I/O thread is not available: " + m_setup_error);
    {
        std::lock_guard lock(m_mutex);
        m_body = std::move(body);
    }
    m_running = true;
    m_go.signal();
    return {};
}

void IoThread::stop() {
    if (!m_running)
        return;
    m_stop.signal();
    wait(m_done);
    m_running = false;
}

} // namespace hyper::virtio
