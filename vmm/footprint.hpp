#pragma once
// The VMM's own memory, apart from the guest's: RSS less the guest RAM pages resident in
// this process (mincore on the guest mapping), with the anonymous/file split, the thread
// count and the binary's size. `vmm --stats` prints it as one JSON line on stderr when
// the VM stops and whenever vmm gets SIGUSR2.
#include <cstdint>
#include <string>

#include "base/fd.hpp"
#include "base/guest_memory.hpp"
#include "base/result.hpp"

namespace hyper {

struct Footprint {
    uint64_t rss_kib{0};            // VmRSS: everything resident
    uint64_t rss_anon_kib{0};       // RssAnon: heap, stacks and guest RAM
    uint64_t rss_file_kib{0};       // RssFile: the binary's and libraries' pages
    uint64_t rss_shmem_kib{0};      // RssShmem: the same when they live on tmpfs/initramfs
    uint64_t guest_resident_kib{0}; // guest RAM pages resident (touched by the guest)
    uint64_t overhead_kib{0};       // rss - guest_resident: the VMM's own
    uint64_t threads{0};
    uint64_t binary_bytes{0}; // size of the vmm executable
};

class FootprintProbe {
  public:
    // Opens /proc/self/status and sizes /proc/self/exe: call before the main thread's
    // seccomp filter (measure() then needs only pread and mincore).
    static Result<FootprintProbe> open();
    Footprint measure(const GuestMemory& memory) const;

  private:
    Fd m_status;
    uint64_t m_binary_bytes{0};
};

// One line: {"stats":"<when>","rss_kib":...,...}
// `devices`: more JSON members to add at the end ("name":{...},...), or empty.
std::string footprint_json(const Footprint& f, const char* when, const std::string& devices = {});

} // namespace hyper
