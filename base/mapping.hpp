#pragma once
// Move-only owner of an mmap()ed range; the only place that unmaps one.
#include <cstddef>
#include <cstdint>
#include <sys/mman.h>
#include <utility>

#include "base/result.hpp"

namespace hyper {

class Mapping {
  public:
    Mapping() = default;
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    Mapping(Mapping&& other) noexcept
        : m_addr(std::exchange(other.m_addr, nullptr)), m_size(std::exchange(other.m_size, 0)) {}
    Mapping& operator=(Mapping&& other) noexcept {
        if (this != &other) {
            reset();
            m_addr = std::exchange(other.m_addr, nullptr);
            m_size = std::exchange(other.m_size, 0);
        }
        return *this;
    }
    ~Mapping() { reset(); }

    // Private anonymous memory, lazily backed (MAP_NORESERVE).
    static Result<Mapping> anonymous(size_t size);
    // A shared mapping of `fd` (e.g. the kvm_run area of a vCPU).
    static Result<Mapping> shared(int fd, size_t size, off_t offset = 0);

    uint8_t* data() const { return static_cast<uint8_t*>(m_addr); }
    size_t size() const { return m_size; }

  private:
    Mapping(void* addr, size_t size) : m_addr(addr), m_size(size) {}
    void reset() {
        if (m_addr)
            ::munmap(m_addr, m_size);
        m_addr = nullptr;
        m_size = 0;
    }
    void* m_addr{nullptr};
    size_t m_size{0};
};

} // namespace hyper
