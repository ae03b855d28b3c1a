#include "base/mapping.hpp"

namespace hyper {

Result<Mapping> Mapping::anonymous(size_t size) {
    void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (addr == MAP_FAILED)
        return fail_errno("cannot map " + std::to_string(size >> 20) + " MiB of guest memory",
                          errno, ExitCode::HostResource);
    return Mapping(addr, size);
}

Result<Mapping> Mapping::shared(int fd, size_t size, off_t offset) {
    void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
    if (addr == MAP_FAILED)
        return fail_errno("mmap");
    return Mapping(addr, size);
}

} // namespace hyper
