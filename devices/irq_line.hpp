#pragma once
// An interrupt line as devices see it: trigger() raises an edge. Backed by an eventfd
// registered with KVM as an irqfd (or, in tests, an eventfd the test reads).
#include "base/event_fd.hpp"

namespace hyper::devices {

class IrqLine {
  public:
    explicit IrqLine(EventFd fd) : m_fd(std::move(fd)) {}
    void trigger() const { m_fd.signal(); }
    int fd() const { return m_fd.fd(); }
    // Test helper: how many edges were raised since the last call.
    uint64_t take_count() const { return m_fd.consume(); }

  private:
    EventFd m_fd;
};

} // namespace hyper::devices
