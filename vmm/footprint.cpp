#include "vmm/footprint.hpp"

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace hyper {

namespace {

// The number after "Name:" in /proc/self/status text (kB fields are in KiB).
uint64_t status_field(const char* text, const char* name) {
    const char* at = std::strstr(text, name);
    if (!at)
        return 0;
    return std::strtoull(at + std::strlen(name), nullptr, 10);
}

// Resident pages of [host, host + size), counted with mincore in chunks (a bounded
// vector whatever the guest size).
uint64_t resident_bytes(uint8_t* host, uint64_t size) {
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    constexpr uint64_t k_chunk_pages = 16384;
    std::vector<unsigned char> vec(k_chunk_pages);
    uint64_t resident = 0;
    for (uint64_t off = 0; off < size; off += k_chunk_pages * page) {
        uint64_t len = std::min(size - off, k_chunk_pages * page);
        if (::mincore(host + off, len, vec.data()) < 0)
            return 0;
        for (uint64_t i = 0; i < (len + page - 1) / page; i++)
            resident += vec[i] & 1;
    }
    return resident * page;
}

} // namespace

Result<FootprintProbe> FootprintProbe::open() {
    FootprintProbe p;
    p.m_status = Fd(::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
    if (!p.m_status.valid())
        return fail_errno("/proc/self/status");
    struct stat st {};
    if (::stat("/proc/self/exe", &st) == 0)
        p.m_binary_bytes = static_cast<uint64_t>(st.st_size);
    return p;
}

Footprint FootprintProbe::measure(const GuestMemory& memory) const {
    Footprint f;
    char text[4096];
    ssize_t n = ::pread(m_status.get(), text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    f.rss_kib = status_field(text, "VmRSS:");
    f.rss_anon_kib = status_field(text, "RssAnon:");
    f.rss_file_kib = status_field(text, "RssFile:");
    f.rss_shmem_kib = status_field(text, "RssShmem:");
    f.threads = status_field(text, "Threads:");
    f.guest_resident_kib = resident_bytes(memory.host_base(), memory.total_size()) / 1024;
    f.overhead_kib = f.rss_kib > f.guest_resident_kib ? f.rss_kib - f.guest_resident_kib : 0;
    f.binary_bytes = m_binary_bytes;
    return f;
}

std::string footprint_json(const Footprint& f, const char* when, const std::string& devices) {
    char line[512];
    std::snprintf(line, sizeof line,
                  "{\"stats\":\"%s\",\"overhead_kib\":%llu,\"rss_kib\":%llu,"
                  "\"guest_resident_kib\":%llu,\"rss_anon_kib\":%llu,\"rss_file_kib\":%llu,"
                  "\"rss_shmem_kib\":%llu,\"threads\":%llu,\"binary_bytes\":%llu}",
                  when, (unsigned long long)f.overhead_kib, (unsigned long long)f.rss_kib,
                  (unsigned long long)f.guest_resident_kib, (unsigned long long)f.rss_anon_kib,
                  (unsigned long long)f.rss_file_kib, (unsigned long long)f.rss_shmem_kib,
                  (unsigned long long)f.threads, (unsigned long long)f.binary_bytes);
    std::string out = line;
    if (!devices.empty()) {
        out.pop_back(); // the closing brace
        out += ",\"devices\":{" + devices + "}}";
    }
    return out;
}

} // namespace hyper
