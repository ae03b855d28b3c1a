// Uncompressed ELF64 x86-64 kernel (vmlinux) loading. PT_LOAD segments go to their
// physical addresses (p_paddr). A Xen PHYS32_ENTRY note selects the PVH 32-bit entry;
// without it the kernel is entered in long mode at e_entry (the linker script makes
// e_entry physical for vmlinux: phys_startup_64).
#include <algorithm>
#include <cstring>

#include "boot/bytes.hpp"
#include "boot/kernel.hpp"

namespace hyper::boot {

namespace {

constexpr uint64_t k_ehdr_size = 64;
constexpr uint64_t k_phdr_size = 56;
constexpr uint8_t k_class64 = 2;
constexpr uint8_t k_data_lsb = 1;
constexpr uint16_t k_type_exec = 2;
constexpr uint16_t k_machine_x86_64 = 62;
constexpr uint32_t k_pt_load = 1;
constexpr uint32_t k_pt_note = 4;
constexpr uint32_t k_xen_elfnote_phys32_entry = 18;
constexpr uint16_t k_pn_xnum = 0xffff;

struct Segment {
    uint64_t offset, paddr, vaddr, filesz, memsz;
};

Unexpected bad(const std::string& what) {
    return fail(ExitCode::BadImage, what);
}

constexpr uint64_t align4(uint64_t n) {
    return (n + 3) & ~uint64_t{3};
}

// Scans one PT_NOTE segment for the Xen PVH entry note. nullopt: none present.
Result<std::optional<uint64_t>> find_pvh_entry(std::span<const uint8_t> notes) {
    uint64_t pos = 0;
    while (notes.size() - pos >= 12) {
        uint64_t namesz = get_le<uint32_t>(notes, pos);
        uint64_t descsz = get_le<uint32_t>(notes, pos + 4);
        uint32_t type = get_le<uint32_t>(notes, pos + 8);
        uint64_t name_at = pos + 12;
        uint64_t desc_at = name_at + align4(namesz);
        if (!in_bounds(notes.size(), name_at, align4(namesz)) ||
            !in_bounds(notes.size(), desc_at, descsz))
            return bad("ELF note at offset " + hex(pos) + " runs past its PT_NOTE segment");
        bool is_xen = namesz == 4 && std::memcmp(notes.data() + name_at, "Xen", 4) == 0;
        if (is_xen && type == k_xen_elfnote_phys32_entry) {
            if (descsz != 4 && descsz != 8)
                return bad("Xen PHYS32_ENTRY note has a " + std::to_string(descsz) +
                           "-byte value, expected 4 or 8");
            uint64_t entry =
                descsz == 4 ? get_le<uint32_t>(notes, desc_at) : get_le<uint64_t>(notes, desc_at);
            if (entry > UINT32_MAX)
                return bad("Xen PHYS32_ENTRY " + hex(entry) + " is above 4 GiB");
            return std::optional<uint64_t>(entry);
        }
        uint64_t next = desc_at + align4(descsz);
        if (next >= notes.size())
            break;
        pos = next;
    }
    return std::optional<uint64_t>();
}

} // namespace

Result<LoadedKernel> load_elf(const GuestMemory& mem, std::span<const uint8_t> file) {
    static constexpr uint8_t k_magic[4] = {0x7f, 'E', 'L', 'F'};
    if (file.size() < k_ehdr_size)
        return bad("not an ELF kernel: file is " + std::to_string(file.size()) +
                   " bytes, shorter than an ELF64 header");
    if (std::memcmp(file.data(), k_magic, 4) != 0)
        return bad("not an ELF kernel: missing \\x7fELF magic");
    if (file[4] != k_class64)
        return bad("ELF kernel is not 64-bit (ELFCLASS " + std::to_string(file[4]) + ")");
    if (file[5] != k_data_lsb)
        return bad("ELF kernel is not little-endian");
    if (file[6] != 1)
        return bad("ELF kernel has unknown ELF version " + std::to_string(file[6]));
    if (uint16_t machine = get_le<uint16_t>(file, 18); machine != k_machine_x86_64)
        return bad("ELF kernel is not x86-64 (e_machine " + std::to_string(machine) + ")");
    if (uint16_t type = get_le<uint16_t>(file, 16); type != k_type_exec)
        return bad("ELF kernel is not an executable (e_type " + std::to_string(type) + ")");

    uint64_t phoff = get_le<uint64_t>(file, 32);
    uint64_t phentsize = get_le<uint16_t>(file, 54);
    uint64_t phnum = get_le<uint16_t>(file, 56);
    if (phnum == 0 || phnum == k_pn_xnum)
        return bad("ELF kernel has " + std::string(phnum ? "too many" : "no") + " program headers");
    if (phentsize != k_phdr_size)
        return bad("ELF program header size " + std::to_string(phentsize) + ", expected 56");
    if (!in_bounds(file.size(), phoff, phnum * k_phdr_size))
        return bad("ELF program headers (" + std::to_string(phnum) + " at " + hex(phoff) +
                   ") run past the end of the file");

    std::vector<Segment> loads;
    std::optional<uint64_t> pvh_entry;
    for (uint64_t i = 0; i < phnum; ++i) {
        uint64_t ph = phoff + i * k_phdr_size;
        uint32_t type = get_le<uint32_t>(file, ph);
        Segment s{get_le<uint64_t>(file, ph + 8), get_le<uint64_t>(file, ph + 24),
                  get_le<uint64_t>(file, ph + 16), get_le<uint64_t>(file, ph + 32),
                  get_le<uint64_t>(file, ph + 40)};
        if (type != k_pt_load && type != k_pt_note)
            continue;
        std::string name = "ELF segment " + std::to_string(i);
        if (!in_bounds(file.size(), s.offset, s.filesz))
            return bad(name + " (file offset " + hex(s.offset) + ", " + std::to_string(s.filesz) +
                       " bytes) runs past the end of the file");
        if (type == k_pt_note) {
            if (!pvh_entry)
                pvh_entry = TRY(find_pvh_entry(file.subspan(s.offset, s.filesz)));
            continue;
        }
        if (s.filesz > s.memsz)
            return bad(name + " has p_filesz > p_memsz");
        if (s.memsz == 0)
            continue;
        if (s.paddr > UINT64_MAX - s.memsz || s.vaddr > UINT64_MAX - s.memsz)
            return bad(name + " address range wraps around");
        if (!mem.contains(GuestAddress(s.paddr), s.memsz))
            return fail(ExitCode::Usage, name + " (" + hex(s.paddr) + ".." +
                                             hex(s.paddr + s.memsz) +
                                             ") does not fit in guest RAM");
        loads.push_back(s);
    }
    if (loads.empty())
        return bad("ELF kernel has no loadable segments");
    std::sort(loads.begin(), loads.end(),
              [](const Segment& a, const Segment& b) { return a.paddr < b.paddr; });
    for (size_t i = 1; i < loads.size(); ++i)
        if (loads[i].paddr < loads[i - 1].paddr + loads[i - 1].memsz)
            return bad("ELF segments overlap at physical address " + hex(loads[i].paddr));

    auto in_segment = [&](uint64_t addr, bool physical) -> std::optional<uint64_t> {
        for (const auto& s : loads) {
            uint64_t base = physical ? s.paddr : s.vaddr;
            if (addr >= base && addr - base < s.memsz)
                return s.paddr + (addr - base);
        }
        return std::nullopt;
    };
    LoadedKernel k;
    k.format = KernelFormat::Elf;
    if (pvh_entry) {
        if (!in_segment(*pvh_entry, true))
            return bad("PVH entry " + hex(*pvh_entry) + " is outside the loaded segments");
        k.entry_mode = EntryMode::Pvh32;
        k.entry = *pvh_entry;
    } else {
        // e_entry is physical in a vmlinux; a virtual one is translated through its segment.
        uint64_t e_entry = get_le<uint64_t>(file, 24);
        auto entry = in_segment(e_entry, true);
        if (!entry)
            entry = in_segment(e_entry, false);
        if (!entry)
            return bad("ELF entry " + hex(e_entry) + " is outside the loaded segments");
        k.entry_mode = EntryMode::Long64;
        k.entry = *entry;
    }

    for (const auto& s : loads) {
        auto dst = mem.host_span(GuestAddress(s.paddr), s.memsz);
        if (!dst)
            return fail(ExitCode::Internal, "writing the kernel to guest RAM failed");
        std::memcpy(dst->data(), file.data() + s.offset, s.filesz);
        std::memset(dst->data() + s.filesz, 0, s.memsz - s.filesz); // bss
    }
    k.load_addr = loads.front().paddr;
    k.load_end = 0;
    for (const auto& s : loads)
        k.load_end = std::max(k.load_end, s.paddr + s.memsz);
    // No setup header: 64-bit boot_params addresses are 32-bit (+ ext_ fields), and
    // PVH passes the initrd through hdr.ramdisk_image: keep it below 4 GiB.
    k.initrd_addr_max = UINT32_MAX;
    k.cmdline_size = 2047; // x86 COMMAND_LINE_SIZE - 1
    return k;
}

} // namespace hyper::boot
