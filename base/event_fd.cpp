#include "base/event_fd.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

namespace hyper {

Result<EventFd> EventFd::create(bool nonblocking) {
    int fd = ::eventfd(0, EFD_CLOEXEC | (nonblocking ? EFD_NONBLOCK : 0));
    if (fd < 0)
        return fail_errno("eventfd");
    EventFd e;
    e.m_fd = Fd(fd);
    return e;
}

void EventFd::signal() const {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(m_fd.get(), &one, sizeof one);
}

uint64_t EventFd::consume() const {
    uint64_t value = 0;
    if (::read(m_fd.get(), &value, sizeof value) != sizeof value)
        return 0;
    return value;
}

} // namespace hyper
