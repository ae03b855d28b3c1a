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

    // Private anonymous memory, lazily backed (MAP_NORESERVE), starting on a 2 MiB
    // boundary and marked for transparent huge pages (MADV_HUGEPAGE, where the kernel has
    // them): a guest's first touch of 2 MiB then costs the host one fault, not 512, and
    // its TLB reach grows the same way.
    static Result<Mapping> anonymous(size_t size);
    static constexpr size_t k_huge_page = size_t{2} << 20;
    // `size` bytes of the file `fd`, read-only and private, its pages read in at once
    // (MAP_POPULATE): a kernel image is copied once, from the page cache into guest RAM.
    static Result<Mapping> file_readonly(int fd, size_t size);
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
