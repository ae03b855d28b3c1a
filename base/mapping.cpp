#include "base/mapping.hpp"

namespace hyper {

Result<Mapping> Mapping::anonymous(size_t size) {
    // Map a huge page more than asked, then trim both ends to the first 2 MiB boundary.
    size_t padded = size + k_huge_page;
    if (padded < size)
        return fail(ExitCode::HostResource, "guest memory size overflows");
    void* addr = ::mmap(nullptr, padded, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (addr == MAP_FAILED)
        return fail_errno("cannot map " + std::to_string(size >> 20) + " MiB of guest memory",
                          errno, ExitCode::HostResource);
    auto start = reinterpret_cast<uintptr_t>(addr);
    uintptr_t aligned = (start + k_huge_page - 1) & ~uintptr_t{k_huge_page - 1};
    if (aligned > start)
        ::munmap(addr, aligned - start);
    if (uintptr_t tail = start + padded - (aligned + size); tail > 0)
        ::munmap(reinterpret_cast<void*>(aligned + size), tail);
    // Only advice: a kernel without transparent huge pages refuses it, and 4 KiB pages do.
    ::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
    return Mapping(reinterpret_cast<void*>(aligned), size);
}

Result<Mapping> Mapping::file_readonly(int fd, size_t size) {
    void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (addr == MAP_FAILED)
        return fail_errno("mmap");
    return Mapping(addr, size);
}

Result<Mapping> Mapping::shared(int fd, size_t size, off_t offset) {
    void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
    if (addr == MAP_FAILED)
        return fail_errno("mmap");
    return Mapping(addr, size);
}

} // namespace hyper
