#include <doctest/doctest.h>

#include "boot/kernel.hpp"
#include "boot/test_images.hpp"

using namespace hyper;
using namespace hyper::boot;
using hyper::boot::test::ElfSegment;
using hyper::boot::test::make_elf;
using hyper::boot::test::make_note;
using hyper::boot::test::make_vmlinux;
using hyper::boot::test::put;

namespace {

GuestMemory ram(uint64_t size = 64 << 20) {
    std::pair<uint64_t, uint64_t> ranges[] = {{0, size}};
    return std::move(GuestMemory::create(ranges).value());
}

void check_rejected(const std::vector<uint8_t>& file, const std::string& what,
                    ExitCode code = ExitCode::BadImage) {
    INFO("expecting: " << what);
    auto mem = ram();
    auto k = load_elf(mem, file);
    REQUIRE_FALSE(k);
    INFO("message: " << k.error().message());
    CHECK(k.error().exit_code() == code);
    CHECK(k.error().message().find(what) != std::string::npos);
}

// Program header i of a make_elf image.
constexpr size_t ph(size_t i) {
    return 64 + i * 56;
}

} // namespace

TEST_CASE("ELF: segments go to p_paddr and the bss is zeroed") {
    auto file = make_vmlinux(false);
    auto mem = ram();
    // stale bytes where the bss goes
    std::vector<uint8_t> junk(0x6000, 0xcc);
    REQUIRE(mem.write(GuestAddress(0x1000000), junk));

    auto k = load_elf(mem, file);
    REQUIRE(k);
    CHECK(k->format == KernelFormat::Elf);
    CHECK(k->entry_mode == EntryMode::Long64);
    CHECK(k->entry == 0x1000000);
    CHECK(k->load_addr == 0x1000000);
    CHECK(k->load_end == 0x1005000);
    CHECK(k->setup_header.empty());
    CHECK(k->initrd_addr_max == 0xffffffff);

    std::vector<uint8_t> got(0x3000);
    REQUIRE(mem.read(GuestAddress(0x1000000), got));
    CHECK(std::equal(got.begin(), got.end(), file.begin() + 0x1000));
    std::vector<uint8_t> bss(0x2000);
    REQUIRE(mem.read(GuestAddress(0x1003000), bss));
    CHECK(std::all_of(bss.begin(), bss.end(), [](uint8_t b) { return b == 0; }));
    CHECK(mem.read_obj<uint8_t>(GuestAddress(0x1005000)) == 0xcc); // untouched after
}

TEST_CASE("ELF: a Xen PHYS32_ENTRY note selects the PVH entry") {
    auto mem = ram();
    auto k = load_elf(mem, make_vmlinux(true));
    REQUIRE(k);
    CHECK(k->entry_mode == EntryMode::Pvh32);
    CHECK(k->entry == 0x1000040);

    // a 4-byte note value works too
    std::vector<uint8_t> body(0x1000, 0x90);
    auto note = make_note("Xen", 18, {0x10, 0x00, 0x20, 0x00});
    body.insert(body.end(), note.begin(), note.end());
    auto file = make_elf(0x200000,
                         {{1, 0x1000, 0x200000, 0x200000, 0x1000, 0x1000},
                          {4, 0x2000, 0, 0, note.size(), note.size()}},
                         body);
    auto k4 = load_elf(mem, file);
    REQUIRE(k4);
    CHECK(k4->entry_mode == EntryMode::Pvh32);
    CHECK(k4->entry == 0x200010);

    // a Xen note of another type, or another owner's type 18, is not a PVH entry
    auto other = make_note("Xen", 17, {0x10, 0x00, 0x20, 0x00});
    auto gnu = make_note("GNU", 18, {0x10, 0x00, 0x20, 0x00});
    body.resize(0x1000);
    body.insert(body.end(), other.begin(), other.end());
    body.insert(body.end(), gnu.begin(), gnu.end());
    uint64_t notes = other.size() + gnu.size();
    auto none = load_elf(mem, make_elf(0x200000,
                                       {{1, 0x1000, 0x200000, 0x200000, 0x1000, 0x1000},
                                        {4, 0x2000, 0, 0, notes, notes}},
                                       body));
    REQUIRE(none);
    CHECK(none->entry_mode == EntryMode::Long64);
}

TEST_CASE("ELF: a virtual e_entry is translated through its segment") {
    auto mem = ram();
    auto k = load_elf(mem, make_vmlinux(false, 0xffffffff81000123));
    REQUIRE(k);
    CHECK(k->entry == 0x1000123);
}

TEST_CASE("ELF: malformed files are rejected with the reason") {
    auto good = make_vmlinux(true);
    check_rejected(std::vector<uint8_t>(good.begin(), good.begin() + 63), "shorter than");
    auto f = good;
    f[1] = 'X';
    check_rejected(f, "missing \\x7fELF magic");
    f = good;
    f[4] = 1;
    check_rejected(f, "not 64-bit");
    f = good;
    f[5] = 2;
    check_rejected(f, "little-endian");
    f = good;
    put(f, 18, 3, 2); // EM_386
    check_rejected(f, "not x86-64");
    f = good;
    put(f, 16, 1, 2); // ET_REL
    check_rejected(f, "not an executable");
    f = good;
    put(f, 56, 0, 2);
    check_rejected(f, "no program headers");
    f = good;
    put(f, 54, 32, 2);
    check_rejected(f, "program header size");
    f = good;
    put(f, 32, UINT64_MAX - 8, 8); // phoff + table wraps
    check_rejected(f, "program headers");
    f = good;
    put(f, 56, 1000, 2); // table runs past the end
    check_rejected(f, "run past the end");
    f = good;
    put(f, ph(0) + 8, UINT64_MAX - 0x100, 8); // p_offset + p_filesz wraps
    check_rejected(f, "ELF segment 0");
    f = good;
    put(f, ph(1) + 32, 0x10000, 8); // p_filesz past the end of the file
    check_rejected(f, "ELF segment 1");
    f = good;
    put(f, ph(1) + 40, 0x800, 8); // p_memsz < p_filesz
    check_rejected(f, "p_filesz > p_memsz");
    f = good;
    put(f, ph(1) + 24, UINT64_MAX - 0x1000, 8); // p_paddr + p_memsz wraps
    check_rejected(f, "wraps around");
    f = good;
    put(f, ph(1) + 24, 0x1001000, 8); // overlaps segment 0
    check_rejected(f, "overlap");
    f = good;
    put(f, ph(0), 6, 4); // PT_PHDR: segment 0 no longer loaded, entry outside
    put(f, ph(1), 6, 4);
    check_rejected(f, "no loadable segments");
}

TEST_CASE("ELF: bad entries and notes are rejected") {
    check_rejected(make_vmlinux(false, 0x5000000), "entry 0x5000000 is outside");

    std::vector<uint8_t> body(0x1000);
    auto high = make_note("Xen", 18, {0, 0, 0, 0, 1, 0, 0, 0});
    body.insert(body.end(), high.begin(), high.end());
    check_rejected(make_elf(0x200000,
                            {{1, 0x1000, 0x200000, 0x200000, 0x1000, 0x1000},
                             {4, 0x2000, 0, 0, high.size(), high.size()}},
                            body),
                   "above 4 GiB");

    auto outside = make_note("Xen", 18, {0, 0, 0x40, 0});
    body.resize(0x1000);
    body.insert(body.end(), outside.begin(), outside.end());
    check_rejected(make_elf(0x200000,
                            {{1, 0x1000, 0x200000, 0x200000, 0x1000, 0x1000},
                             {4, 0x2000, 0, 0, outside.size(), outside.size()}},
                            body),
                   "PVH entry 0x400000 is outside");

    auto odd = make_note("Xen", 18, {1, 2});
    body.resize(0x1000);
    body.insert(body.end(), odd.begin(), odd.end());
    check_rejected(make_elf(0x200000,
                            {{1, 0x1000, 0x200000, 0x200000, 0x1000, 0x1000},
                             {4, 0x2000, 0, 0, odd.size(), odd.size()}},
                            body),
                   "2-byte value");

    auto f = make_vmlinux(true);
    // the GNU note's namesz is 4 at the start of the notes (file offset 0x4000)
    put(f, 0x4000, 0x7fffffff, 4);
    check_rejected(f, "runs past its PT_NOTE segment");
}

TEST_CASE("ELF: segments outside guest RAM are a usage error, every truncation is bad") {
    auto good = make_vmlinux(true);
    auto small = ram(0x1001000); // ends inside segment 0
    auto k = load_elf(small, good);
    REQUIRE_FALSE(k);
    CHECK(k.error().exit_code() == ExitCode::Usage);
    CHECK(k.error().message().find("does not fit in guest RAM") != std::string::npos);

    for (size_t len = 0; len < good.size(); len += 61) {
        INFO("length " << len);
        auto mem = ram();
        auto t = load_elf(mem, std::span(good.data(), len));
        REQUIRE_FALSE(t);
        CHECK(t.error().exit_code() == ExitCode::BadImage);
    }
}
