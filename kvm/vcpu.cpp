#include "kvm/vcpu.hpp"

#include "kvm/linux_kvm.hpp"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/ioctl.h>

namespace hyper::kvm {

Vcpu::Vcpu(uint32_t id, Fd fd, Mapping run_area)
    : m_id(id), m_fd(std::move(fd)), m_run_area(std::move(run_area)),
      m_run(reinterpret_cast<kvm_run*>(m_run_area.data())) {}

void Vcpu::set_immediate_exit(bool on) {
    __atomic_store_n(&m_run->immediate_exit, on ? 1 : 0, __ATOMIC_SEQ_CST);
}

Result<VcpuExit> Vcpu::run() {
    if (::ioctl(m_fd.get(), KVM_RUN, 0) < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return VcpuExit{Interrupted{}};
        return fail_errno("KVM_RUN on vCPU " + std::to_string(m_id));
    }
    kvm_run* run = m_run;
    auto* base = reinterpret_cast<uint8_t*>(run);
    switch (run->exit_reason) {
    case KVM_EXIT_IO: {
        size_t bytes = size_t(run->io.size) * run->io.count;
        // The offset comes from the kernel, still check it stays in the mapping.
        if (run->io.data_offset > m_run_area.size() ||
            bytes > m_run_area.size() - run->io.data_offset)
            return fail(ExitCode::Internal, "KVM_EXIT_IO data outside the kvm_run area");
        uint8_t* data = base + run->io.data_offset;
        if (run->io.direction == KVM_EXIT_IO_IN)
            return VcpuExit{IoIn{run->io.port, run->io.size, run->io.count, {data, bytes}}};
        return VcpuExit{IoOut{run->io.port, run->io.size, run->io.count, {data, bytes}}};
    }
    case KVM_EXIT_MMIO: {
        size_t len = run->mmio.len > 8 ? 8 : run->mmio.len;
        if (run->mmio.is_write)
            return VcpuExit{MmioWrite{run->mmio.phys_addr, {run->mmio.data, len}}};
        return VcpuExit{MmioRead{run->mmio.phys_addr, {run->mmio.data, len}}};
    }
    case KVM_EXIT_HLT: return VcpuExit{Hlt{}};
    case KVM_EXIT_SHUTDOWN: return VcpuExit{Shutdown{}};
    case KVM_EXIT_SYSTEM_EVENT: {
        SystemEvent::Kind kind = SystemEvent::Kind::Other;
        switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_SHUTDOWN: kind = SystemEvent::Kind::Shutdown; break;
        case KVM_SYSTEM_EVENT_RESET: kind = SystemEvent::Kind::Reset; break;
        case KVM_SYSTEM_EVENT_CRASH: kind = SystemEvent::Kind::Crash; break;
        default: break;
        }
        bool warm = false;
#if defined(__aarch64__)
        warm = kind == SystemEvent::Kind::Reset && run->system_event.ndata > 0 &&
               (run->system_event.data[0] & KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2);
#endif
        return VcpuExit{SystemEvent{kind, warm}};
    }
    case KVM_EXIT_INTR: return VcpuExit{Interrupted{}};
    case KVM_EXIT_INTERNAL_ERROR: {
        InternalError e{run->internal.suberror, std::min<uint32_t>(run->internal.ndata, 4), {}};
        for (uint32_t i = 0; i < e.ndata; i++)
            e.data[i] = run->internal.data[i];
        return VcpuExit{e};
    }
    case KVM_EXIT_FAIL_ENTRY:
        return VcpuExit{FailEntry{run->fail_entry.hardware_entry_failure_reason}};
    default: return VcpuExit{Unknown{run->exit_reason}};
    }
}

#if defined(__x86_64__)

Result<void> Vcpu::set_cpuid(std::span<const x86::CpuidEntry> entries) {
    std::vector<uint8_t> buf(sizeof(kvm_cpuid2) + entries.size() * sizeof(kvm_cpuid_entry2));
    auto* cpuid = reinterpret_cast<kvm_cpuid2*>(buf.data());
    cpuid->nent = static_cast<uint32_t>(entries.size());
    for (size_t i = 0; i < entries.size(); i++) {
        auto& e = cpuid->entries[i];
        e.function = entries[i].function;
        e.index = entries[i].index;
        e.flags = entries[i].flags;
        e.eax = entries[i].eax;
        e.ebx = entries[i].ebx;
        e.ecx = entries[i].ecx;
        e.edx = entries[i].edx;
    }
    if (::ioctl(m_fd.get(), KVM_SET_CPUID2, cpuid) < 0)
        return fail_errno("KVM_SET_CPUID2");
    return {};
}

Result<void> Vcpu::set_msrs(std::span<const x86::MsrEntry> msrs) {
    std::vector<uint8_t> buf(sizeof(kvm_msrs) + msrs.size() * sizeof(kvm_msr_entry));
    auto* list = reinterpret_cast<kvm_msrs*>(buf.data());
    list->nmsrs = static_cast<uint32_t>(msrs.size());
    for (size_t i = 0; i < msrs.size(); i++) {
        list->entries[i].index = msrs[i].index;
        list->entries[i].data = msrs[i].value;
    }
    int r = ::ioctl(m_fd.get(), KVM_SET_MSRS, list);
    if (r < 0)
        return fail_errno("KVM_SET_MSRS");
    if (static_cast<size_t>(r) != msrs.size())
        return fail(ExitCode::KvmCapability,
                    "KVM refused MSR " + std::to_string(msrs[static_cast<size_t>(r)].index));
    return {};
}

namespace {
kvm_segment to_kvm(const x86::Segment& s) {
    kvm_segment k{};
    k.base = s.base;
    k.limit = s.limit;
    k.selector = s.selector;
    k.type = s.type;
    k.present = s.present;
    k.dpl = s.dpl;
    k.db = s.db;
    k.s = s.s;
    k.l = s.l;
    k.g = s.g;
    k.unusable = s.present ? 0 : 1;
    return k;
}
} // namespace

Result<void> Vcpu::set_boot_state(const x86::BootCpuState& st) {
    kvm_sregs sregs{};
    if (::ioctl(m_fd.get(), KVM_GET_SREGS, &sregs) < 0)
        return fail_errno("KVM_GET_SREGS");
    sregs.cs = to_kvm(st.cs);
    sregs.ds = to_kvm(st.ds);
    sregs.es = to_kvm(st.es);
    sregs.fs = to_kvm(st.fs);
    sregs.gs = to_kvm(st.gs);
    sregs.ss = to_kvm(st.ss);
    sregs.tr = to_kvm(st.tr);
    sregs.ldt = to_kvm(st.ldt);
    sregs.gdt.base = st.gdt.base;
    sregs.gdt.limit = st.gdt.limit;
    sregs.idt.base = st.idt.base;
    sregs.idt.limit = st.idt.limit;
    sregs.cr0 = st.cr0;
    sregs.cr3 = st.cr3;
    sregs.cr4 = st.cr4;
    sregs.efer = st.efer;
    if (::ioctl(m_fd.get(), KVM_SET_SREGS, &sregs) < 0)
        return fail_errno("KVM_SET_SREGS");
    kvm_regs regs{};
    regs.rip = st.rip;
    regs.rsp = st.rsp;
    regs.rbp = st.rbp;
    regs.rsi = st.rsi;
    regs.rbx = st.rbx;
    regs.rflags = st.rflags;
    if (::ioctl(m_fd.get(), KVM_SET_REGS, &regs) < 0)
        return fail_errno("KVM_SET_REGS");
    return {};
}

Result<void> Vcpu::init_fpu_and_lapic() {
    kvm_fpu fpu{};
    fpu.fcw = 0x37f;
    fpu.mxcsr = 0x1f80;
    if (::ioctl(m_fd.get(), KVM_SET_FPU, &fpu) < 0)
        return fail_errno("KVM_SET_FPU");
    kvm_lapic_state lapic{};
    if (::ioctl(m_fd.get(), KVM_GET_LAPIC, &lapic) < 0)
        return fail_errno("KVM_GET_LAPIC");
    auto set_delivery = [&](size_t reg, uint32_t mode) {
        uint32_t v;
        std::memcpy(&v, lapic.regs + reg, 4);
        v = (v & ~0x700u) | (mode << 8);
        std::memcpy(lapic.regs + reg, &v, 4);
    };
    constexpr size_t apic_lvt0 = 0x350, apic_lvt1 = 0x360;
    constexpr uint32_t mode_extint = 0x7, mode_nmi = 0x4;
    set_delivery(apic_lvt0, mode_extint);
    set_delivery(apic_lvt1, mode_nmi);
    if (::ioctl(m_fd.get(), KVM_SET_LAPIC, &lapic) < 0)
        return fail_errno("KVM_SET_LAPIC");
    return {};
}

Result<uint32_t> Vcpu::tsc_khz() {
    int r = ::ioctl(m_fd.get(), KVM_GET_TSC_KHZ, 0);
    if (r <= 0)
        return fail_errno("KVM_GET_TSC_KHZ");
    return static_cast<uint32_t>(r);
}

#endif

} // namespace hyper::kvm
