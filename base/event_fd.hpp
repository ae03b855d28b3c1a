#pragma once
// Move-only eventfd: a counter one thread (or KVM) signals and another waits on.
#include <cstdint>

#include "base/fd.hpp"
#include "base/result.hpp"

namespace hyper {

class EventFd {
  public:
    static Result<EventFd> create(bool nonblocking = true);
    int fd() const { return m_fd.get(); }
    // Adds 1 to the counter; never fails for a valid eventfd short of overflow.
    void signal() const;
    // Reads and resets the counter; 0 when nothing was signalled (non-blocking).
    uint64_t consume() const;

  private:
    Fd m_fd;
};

} // namespace hyper
