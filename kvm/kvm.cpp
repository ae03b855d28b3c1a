#include "kvm/kvm.hpp"

#include "kvm/linux_kvm.hpp"
#include <cerrno>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "kvm/vcpu.hpp"

namespace hyper::kvm {

namespace {

struct RequiredCap {
    unsigned long cap;
    const char* name;
};

// Every capability the VMM relies on, checked once at open so the error names it.
constexpr RequiredCap k_required_caps[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
    {KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
#if defined(__x86_64__)
    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
    {KVM_CAP_HLT, "KVM_CAP_HLT"},
    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
    {KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR"},
    {KVM_CAP_PIT2, "KVM_CAP_PIT2"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
    {KVM_CAP_GET_TSC_KHZ, "KVM_CAP_GET_TSC_KHZ"},
    {KVM_CAP_TSC_DEADLINE_TIMER, "KVM_CAP_TSC_DEADLINE_TIMER"}, // arch/x86_64/cpuid.cpp
#elif defined(__aarch64__)
    {KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG"},
    {KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL"},
    {KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2"},
#endif
};

int ioctl_retry(int fd, unsigned long req, unsigned long arg) {
    int r;
    do {
        r = ::ioctl(fd, req, arg);
    } while (r < 0 && errno == EINTR);
    return r;
}

} // namespace

Result<Kvm> Kvm::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT || err == ENXIO || err == ENODEV)
            return fail(ExitCode::NoKvm,
                        path + " does not exist: this host has no KVM (load kvm-intel or "
                               "kvm-amd, or enable virtualization in the firmware)");
        if (err == EACCES || err == EPERM)
            return fail(ExitCode::NoPermission,
                        "no permission to open " + path +
                            " (add this user to the 'kvm' group or run as root)");
        return fail_errno("cannot open " + path, err, ExitCode::NoKvm);
    }
    Kvm kvm;
    kvm.m_fd = Fd(fd);
    int version = ::ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION)
        return fail(ExitCode::KvmCapability, "KVM API version " + std::to_string(version) +
                                                 ", need " + std::to_string(KVM_API_VERSION));
    for (const auto& c : k_required_caps)
        if (kvm.check_extension(c.cap) <= 0)
            return fail(ExitCode::KvmCapability,
                        std::string("KVM lacks the capability ") + c.name + " that vmm needs");
    kvm.m_vcpu_mmap_size = ::ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (kvm.m_vcpu_mmap_size <= 0)
        return fail_errno("KVM_GET_VCPU_MMAP_SIZE");
    int max = kvm.check_extension(KVM_CAP_MAX_VCPUS);
    if (max <= 0)
        max = kvm.check_extension(KVM_CAP_NR_VCPUS);
    kvm.m_max_vcpus = max > 0 ? max : 4;
    return kvm;
}

int Kvm::check_extension(unsigned long cap) const {
    int r = ::ioctl(m_fd.get(), KVM_CHECK_EXTENSION, cap);
    return r < 0 ? 0 : r;
}

Result<std::vector<x86::CpuidEntry>> Kvm::supported_cpuid() const {
#if defined(__x86_64__)
    constexpr int max_entries = 256;
    std::vector<uint8_t> buf(sizeof(kvm_cpuid2) + max_entries * sizeof(kvm_cpuid_entry2));
    auto* cpuid = reinterpret_cast<kvm_cpuid2*>(buf.data());
    cpuid->nent = max_entries;
    if (::ioctl(m_fd.get(), KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
        int err = errno;
        return fail_errno("KVM_GET_SUPPORTED_CPUID on fd " + std::to_string(m_fd.get()), err);
    }
    std::vector<x86::CpuidEntry> out;
    for (uint32_t i = 0; i < cpuid->nent; i++) {
        const auto& e = cpuid->entries[i];
        out.push_back({e.function, e.index, e.flags, e.eax, e.ebx, e.ecx, e.edx});
    }
    return out;
#else
    return std::vector<x86::CpuidEntry>{};
#endif
}

Result<Vm> Vm::create(const Kvm& kvm) {
    int fd = ioctl_retry(kvm.fd(), KVM_CREATE_VM, 0);
    if (fd < 0)
        return fail_errno("KVM_CREATE_VM", errno, ExitCode::HostResource);
    Vm vm;
    vm.m_fd = Fd(fd);
#if defined(__x86_64__)
    // Three pages just below the BIOS area for the TSS and the identity map that VMX
    // needs for real mode; they lie in the 32-bit MMIO hole, away from guest RAM.
    if (::ioctl(fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
        return fail_errno("KVM_SET_TSS_ADDR");
    uint64_t identity = 0xfffbc000;
    if (::ioctl(fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
        return fail_errno("KVM_SET_IDENTITY_MAP_ADDR");
#endif
    return vm;
}

Result<void> Vm::set_memory_region(uint32_t slot, uint64_t guest_phys, uint64_t size, void* host) {
    kvm_userspace_memory_region region{};
    region.slot = slot;
    region.guest_phys_addr = guest_phys;
    region.memory_size = size;
    region.userspace_addr = reinterpret_cast<uint64_t>(host);
    if (::ioctl(m_fd.get(), KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return fail_errno("KVM_SET_USER_MEMORY_REGION", errno, ExitCode::HostResource);
    return {};
}

Result<void> Vm::create_platform_irqchip() {
#if defined(__x86_64__)
    if (::ioctl(m_fd.get(), KVM_CREATE_IRQCHIP, 0) < 0)
        return fail_errno("KVM_CREATE_IRQCHIP");
    kvm_pit_config pit{};
    pit.flags = KVM_PIT_SPEAKER_DUMMY; // port 0x61 answered in the kernel
    if (::ioctl(m_fd.get(), KVM_CREATE_PIT2, &pit) < 0)
        return fail_errno("KVM_CREATE_PIT2");
#endif
    return {};
}

Result<void> Vm::set_irq_line(uint32_t gsi, bool level) {
    kvm_irq_level irq{};
    irq.irq = gsi;
    irq.level = level ? 1 : 0;
    if (::ioctl(m_fd.get(), KVM_IRQ_LINE, &irq) < 0)
        return fail_errno("KVM_IRQ_LINE");
    return {};
}

Result<void> Vm::register_irqfd(int eventfd, uint32_t gsi) {
    kvm_irqfd irqfd{};
    irqfd.fd = static_cast<uint32_t>(eventfd);
    irqfd.gsi = gsi;
    if (::ioctl(m_fd.get(), KVM_IRQFD, &irqfd) < 0)
        return fail_errno("KVM_IRQFD");
    return {};
}

Result<void> Vm::register_ioeventfd(int eventfd, uint64_t addr, uint32_t len, bool pio,
                                    std::optional<uint64_t> datamatch) {
    kvm_ioeventfd io{};
    io.addr = addr;
    io.len = len;
    io.fd = eventfd;
    io.flags = pio ? KVM_IOEVENTFD_FLAG_PIO : 0;
    if (datamatch) {
        io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
        io.datamatch = *datamatch;
    }
    if (::ioctl(m_fd.get(), KVM_IOEVENTFD, &io) < 0)
        return fail_errno("KVM_IOEVENTFD");
    return {};
}

Result<std::unique_ptr<Vcpu>> Vm::create_vcpu(const Kvm& kvm, uint32_t id) {
    int fd = ioctl_retry(m_fd.get(), KVM_CREATE_VCPU, id);
    if (fd < 0)
        return fail_errno("KVM_CREATE_VCPU " + std::to_string(id), errno, ExitCode::HostResource);
    Fd vcpu_fd(fd);
    auto area = TRY(Mapping::shared(fd, static_cast<size_t>(kvm.vcpu_mmap_size())));
    return std::make_unique<Vcpu>(id, std::move(vcpu_fd), std::move(area));
}

} // namespace hyper::kvm
