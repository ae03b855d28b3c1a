#include "arch/x86_64/gdt.hpp"

#include "arch/x86_64/layout.hpp"

namespace hyper::x86 {

uint64_t encode_descriptor(const Segment& seg) {
    uint64_t limit = seg.g ? seg.limit >> 12 : seg.limit;
    uint64_t base = seg.base & 0xffffffff;
    uint64_t d = 0;
    d |= limit & 0xffff;
    d |= (base & 0xffffff) << 16;
    d |= uint64_t{seg.type & 0xfu} << 40;
    d |= uint64_t{seg.s & 1u} << 44;
    d |= uint64_t{seg.dpl & 3u} << 45;
    d |= uint64_t{seg.present & 1u} << 47;
    d |= ((limit >> 16) & 0xf) << 48;
    d |= uint64_t{seg.l & 1u} << 53;
    d |= uint64_t{seg.db & 1u} << 54;
    d |= uint64_t{seg.g & 1u} << 55;
    d |= (base >> 24) << 56;
    return d;
}

Segment decode_descriptor(uint64_t d) {
    Segment seg;
    seg.base = ((d >> 16) & 0xffffff) | ((d >> 56) << 24);
    uint32_t limit = static_cast<uint32_t>((d & 0xffff) | (((d >> 48) & 0xf) << 16));
    seg.type = (d >> 40) & 0xf;
    seg.s = (d >> 44) & 1;
    seg.dpl = (d >> 45) & 3;
    seg.present = (d >> 47) & 1;
    seg.l = (d >> 53) & 1;
    seg.db = (d >> 54) & 1;
    seg.g = (d >> 55) & 1;
    seg.limit = seg.g ? (limit << 12) | 0xfff : limit;
    return seg;
}

namespace {
Segment flat(uint16_t selector, uint8_t type, uint8_t l, uint8_t db) {
    Segment seg;
    seg.base = 0;
    seg.limit = 0xffffffff;
    seg.selector = selector;
    seg.type = type;
    seg.present = 1;
    seg.s = 1;
    seg.l = l;
    seg.db = db;
    seg.g = 1;
    return seg;
}
constexpr uint8_t k_code_exec_read_accessed = 0xb;
constexpr uint8_t k_data_read_write_accessed = 0x3;
constexpr uint8_t k_tss_busy = 0xb; // 32-bit busy TSS; in long mode, 64-bit busy TSS
} // namespace

Segment code64_segment() {
    return flat(k_code64_selector, k_code_exec_read_accessed, 1, 0);
}
Segment code32_segment() {
    return flat(k_code32_selector, k_code_exec_read_accessed, 0, 1);
}
Segment data_segment() {
    return flat(k_data_selector, k_data_read_write_accessed, 0, 1);
}

Segment tss_segment() {
    Segment seg;
    seg.base = k_tss_addr;
    seg.limit = k_tss_size - 1;
    seg.selector = k_tss_selector;
    seg.type = k_tss_busy;
    seg.present = 1;
    return seg;
}

std::array<uint64_t, k_gdt_entries> gdt_entries() {
    std::array<uint64_t, k_gdt_entries> gdt{};
    gdt[k_code64_selector / 8] = encode_descriptor(code64_segment());
    gdt[k_data_selector / 8] = encode_descriptor(data_segment());
    gdt[k_code32_selector / 8] = encode_descriptor(code32_segment());
    gdt[k_tss_selector / 8] = encode_descriptor(tss_segment());
    gdt[k_tss_selector / 8 + 1] = k_tss_addr >> 32; // base bits 63:32 of the 16-byte descriptor
    return gdt;
}

Result<void> write_gdt(const GuestMemory& mem) {
    static_assert(k_gdt_addr + k_gdt_entries * 8 <= k_idt_addr);
    static_assert(k_idt_addr + k_idt_limit + 1 <= k_tss_addr);
    auto gdt = gdt_entries();
    uint8_t tss[k_tss_size] = {};
    tss[0x66] = k_tss_size; // I/O map base past the limit: no I/O permission bitmap
    if (!mem.write_obj(GuestAddress(k_gdt_addr), gdt) ||
        !mem.write_obj(GuestAddress(k_idt_addr), uint64_t{0}) ||
        !mem.write_obj(GuestAddress(k_tss_addr), tss))
        return fail(ExitCode::Internal, "the boot GDT area is not in guest RAM");
    return {};
}

} // namespace hyper::x86
