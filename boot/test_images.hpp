#pragma once
// Test-only: small synthetic kernels, built byte by byte, for the loader and setup tests.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace hyper::boot::test {

inline void put(std::vector<uint8_t>& b, size_t off, uint64_t value, size_t size) {
    for (size_t i = 0; i < size; ++i)
        b[off + i] = static_cast<uint8_t>(value >> (8 * i));
}

struct BzImageSpec {
    uint8_t setup_sects = 4;
    size_t kernel_size = 0x3000; // protected-mode part
    uint16_t version = 0x020f;
    uint8_t loadflags = 0x01;
    uint16_t xloadflags = 0x03;
    uint8_t header_jump = 0x6a; // header ends at 0x26c
    uint32_t initrd_addr_max = 0x7fffffff;
    uint32_t kernel_alignment = 0x200000;
    uint32_t cmdline_size = 2047;
    uint64_t pref_address = 0x1000000;
    uint32_t init_size = 0x400000;
};

inline std::vector<uint8_t> make_bzimage(const BzImageSpec& s = {}) {
    size_t sects = s.setup_sects ? s.setup_sects : 4;
    std::vector<uint8_t> b((sects + 1) * 512 + s.kernel_size);
    for (size_t i = (sects + 1) * 512; i < b.size(); ++i)
        b[i] = static_cast<uint8_t>(i * 7 + 1);
    put(b, 0x1f1, s.setup_sects, 1);
    put(b, 0x1f4, s.kernel_size / 16, 4);
    put(b, 0x1fe, 0xaa55, 2);
    put(b, 0x200, 0xeb, 1);
    put(b, 0x201, s.header_jump, 1);
    put(b, 0x202, 0x53726448, 4);
    put(b, 0x206, s.version, 2);
    put(b, 0x211, s.loadflags, 1);
    put(b, 0x22c, s.initrd_addr_max, 4);
    put(b, 0x230, s.kernel_alignment, 4);
    put(b, 0x234, 1, 1);
    put(b, 0x236, s.xloadflags, 2);
    put(b, 0x238, s.cmdline_size, 4);
    put(b, 0x258, s.pref_address, 8);
    put(b, 0x260, s.init_size, 4);
    return b;
}

struct ElfSegment {
    uint32_t type = 1; // PT_LOAD
    uint64_t offset = 0;
    uint64_t vaddr = 0;
    uint64_t paddr = 0;
    uint64_t filesz = 0;
    uint64_t memsz = 0;
};

// An ELF note: namesz, descsz, type, name (padded to 4), desc (padded to 4).
inline std::vector<uint8_t> make_note(const std::string& name, uint32_t type,
                                      const std::vector<uint8_t>& desc) {
    auto pad = [](size_t n) { return (n + 3) & ~size_t{3}; };
    std::vector<uint8_t> n(12 + pad(name.size() + 1) + pad(desc.size()));
    put(n, 0, name.size() + 1, 4);
    put(n, 4, desc.size(), 4);
    put(n, 8, type, 4);
    std::memcpy(n.data() + 12, name.c_str(), name.size() + 1);
    if (!desc.empty())
        std::memcpy(n.data() + 12 + pad(name.size() + 1), desc.data(), desc.size());
    return n;
}

// ELF64 header, then the program headers, then `body` at offset 0x1000 (segment
// offsets are absolute file offsets).
inline std::vector<uint8_t> make_elf(uint64_t entry, const std::vector<ElfSegment>& segs,
                                     const std::vector<uint8_t>& body) {
    std::vector<uint8_t> b(0x1000 + body.size());
    const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    std::memcpy(b.data(), ident, sizeof(ident));
    put(b, 16, 2, 2);  // ET_EXEC
    put(b, 18, 62, 2); // EM_X86_64
    put(b, 20, 1, 4);
    put(b, 24, entry, 8);
    put(b, 32, 64, 8); // e_phoff
    put(b, 52, 64, 2);
    put(b, 54, 56, 2);
    put(b, 56, segs.size(), 2);
    for (size_t i = 0; i < segs.size(); ++i) {
        size_t ph = 64 + i * 56;
        put(b, ph, segs[i].type, 4);
        put(b, ph + 8, segs[i].offset, 8);
        put(b, ph + 16, segs[i].vaddr, 8);
        put(b, ph + 24, segs[i].paddr, 8);
        put(b, ph + 32, segs[i].filesz, 8);
        put(b, ph + 40, segs[i].memsz, 8);
    }
    std::memcpy(b.data() + 0x1000, body.data(), body.size());
    return b;
}

// A vmlinux-like image: text (0x2000 bytes at paddr 0x1000000, vaddr 0xffffffff81000000)
// and data + bss (0x1000 in the file, 0x3000 in memory, right after it); with `pvh`, a
// Xen PHYS32_ENTRY note (and a GNU note before it) pointing at paddr 0x1000040.
inline std::vector<uint8_t> make_vmlinux(bool pvh, uint64_t entry = 0x1000000) {
    std::vector<uint8_t> body(0x3000);
    for (size_t i = 0; i < body.size(); ++i)
        body[i] = static_cast<uint8_t>(i * 13 + 5);
    std::vector<ElfSegment> segs = {
        {1, 0x1000, 0xffffffff81000000, 0x1000000, 0x2000, 0x2000},
        {1, 0x3000, 0xffffffff81002000, 0x1002000, 0x1000, 0x3000},
    };
    if (pvh) {
        auto gnu = make_note(
            "GNU", 3, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
        auto xen = make_note("Xen", 18, {0x40, 0x00, 0x00, 0x01, 0, 0, 0, 0});
        std::vector<uint8_t> notes = gnu;
        notes.insert(notes.end(), xen.begin(), xen.end());
        segs.push_back({4, 0x1000 + body.size(), 0, 0, notes.size(), notes.size()});
        body.insert(body.end(), notes.begin(), notes.end());
    }
    return make_elf(entry, segs, body);
}

} // namespace hyper::boot::test
