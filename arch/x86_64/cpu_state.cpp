#include "arch/x86_64/cpu_state.hpp"

#include "arch/x86_64/gdt.hpp"

namespace hyper::x86 {

namespace {
BootCpuState common(uint64_t entry, const Segment& code) {
    BootCpuState s;
    s.rip = entry;
    s.rflags = 0x2; // reserved bit 1; IF clear
    s.cs = code;
    s.ds = s.es = s.fs = s.gs = s.ss = data_segment();
    s.tr = tss_segment();
    s.ldt = Segment{}; // not present: unusable
    s.ldt.type = 0x2;
    s.gdt = {k_gdt_addr, k_gdt_limit};
    s.idt = {k_idt_addr, k_idt_limit};
    return s;
}
} // namespace

BootCpuState long_mode_cpu_state(uint64_t entry, uint64_t zero_page) {
    BootCpuState s = common(entry, code64_segment());
    s.rsi = zero_page;
    s.rsp = s.rbp = k_boot_stack_top;
    s.cr0 = k_cr0_pe | k_cr0_et | k_cr0_pg;
    s.cr3 = k_pml4_addr;
    s.cr4 = k_cr4_pae;
    s.efer = k_efer_lme | k_efer_lma;
    return s;
}

BootCpuState pvh_cpu_state(uint64_t entry, uint64_t start_info) {
    BootCpuState s = common(entry, code32_segment());
    s.rbx = start_info;
    s.cr0 = k_cr0_pe | k_cr0_et;
    s.cr3 = 0;
    s.cr4 = 0;
    s.efer = 0;
    return s;
}

BootCpuState boot_cpu_state(const boot::LoadedKernel& kernel) {
    if (kernel.entry_mode == boot::EntryMode::Pvh32)
        return pvh_cpu_state(kernel.entry);
    return long_mode_cpu_state(kernel.entry);
}

} // namespace hyper::x86
