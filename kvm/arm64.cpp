// The aarch64 parts of the KVM layer: the in-kernel GIC (KVM_CREATE_DEVICE), vCPU init
// with PSCI 0.2, and the boot registers through KVM_SET_ONE_REG.
#include "kvm/kvm.hpp"
#include "kvm/linux_kvm.hpp"
#include "kvm/vcpu.hpp"

#include <cerrno>
#include <cstddef>
#include <sys/ioctl.h>

namespace hyper::kvm {

namespace {

Result<void> set_attr(int fd, uint32_t group, uint64_t attr, const void* value, const char* what) {
    kvm_device_attr a{};
    a.group = group;
    a.attr = attr;
    a.addr = reinterpret_cast<uint64_t>(value);
    if (::ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0)
        return fail_errno(std::string("KVM_SET_DEVICE_ATTR ") + what);
    return {};
}

// A core register's KVM_{GET,SET}_ONE_REG id: its offset in struct kvm_regs, in 32-bit
// words.
constexpr uint64_t core_reg(size_t offset) {
    return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offset / sizeof(uint32_t));
}
constexpr uint64_t k_reg_pc = core_reg(offsetof(kvm_regs, regs.pc));
constexpr uint64_t k_reg_pstate = core_reg(offsetof(kvm_regs, regs.pstate));
constexpr uint64_t k_reg_x0 = core_reg(offsetof(kvm_regs, regs.regs));
constexpr uint64_t k_reg_mpidr = ARM64_SYS_REG(3, 0, 0, 0, 5); // MPIDR_EL1

} // namespace

Result<arm64::GicVersion> Vm::create_gic(const arm64::GicLayout& layout) {
    kvm_create_device dev{};
    dev.type = KVM_DEV_TYPE_ARM_VGIC_V3;
    arm64::GicVersion version = arm64::GicVersion::V3;
    if (::ioctl(m_fd.get(), KVM_CREATE_DEVICE, &dev) < 0) {
        // no GICv3 on this host (or not emulated): a GICv2
        dev = kvm_create_device{};
        dev.type = KVM_DEV_TYPE_ARM_VGIC_V2;
        version = arm64::GicVersion::V2;
        if (::ioctl(m_fd.get(), KVM_CREATE_DEVICE, &dev) < 0)
            return fail_errno("KVM_CREATE_DEVICE: neither a GICv3 nor a GICv2", errno,
                              ExitCode::KvmCapability);
    }
    m_gic = Fd(static_cast<int>(dev.fd));
    int fd = m_gic.get();
    if (version == arm64::GicVersion::V3) {
        TRY(set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &layout.dist_addr,
                     "GICv3 distributor"));
        TRY(set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST,
                     &layout.redist_addr, "GICv3 redistributors"));
    } else {
        TRY(set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, &layout.dist_addr,
                     "GICv2 distributor"));
        TRY(set_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, &layout.cpu_addr,
                     "GICv2 CPU interface"));
    }
    TRY(set_attr(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &layout.nr_irqs, "number of IRQs"));
    return version;
}

Result<void> Vm::finalize_gic() {
    if (!m_gic.valid())
        return fail(ExitCode::Internal, "finalize_gic before create_gic");
    return set_attr(m_gic.get(), KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, nullptr,
                    "GIC init");
}

Result<uint32_t> Vm::preferred_target() const {
    kvm_vcpu_init init{};
    if (::ioctl(m_fd.get(), KVM_ARM_PREFERRED_TARGET, &init) < 0)
        return fail_errno("KVM_ARM_PREFERRED_TARGET", errno, ExitCode::KvmCapability);
    return init.target;
}

Result<void> Vcpu::arm_init(uint32_t target, bool powered_off) {
    kvm_vcpu_init init{};
    init.target = target;
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (powered_off)
        init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
    if (::ioctl(m_fd.get(), KVM_ARM_VCPU_INIT, &init) < 0)
        return fail_errno("KVM_ARM_VCPU_INIT on vCPU " + std::to_string(m_id), errno,
                          ExitCode::KvmCapability);
    return {};
}

namespace {
Result<void> set_reg(int fd, uint64_t id, uint64_t value, const char* what) {
    kvm_one_reg reg{};
    reg.id = id;
    reg.addr = reinterpret_cast<uint64_t>(&value);
    if (::ioctl(fd, KVM_SET_ONE_REG, &reg) < 0)
        return fail_errno(std::string("KVM_SET_ONE_REG ") + what);
    return {};
}
} // namespace

Result<uint64_t> Vcpu::mpidr() {
    uint64_t value = 0;
    kvm_one_reg reg{};
    reg.id = k_reg_mpidr;
    reg.addr = reinterpret_cast<uint64_t>(&value);
    if (::ioctl(m_fd.get(), KVM_GET_ONE_REG, &reg) < 0)
        return fail_errno("KVM_GET_ONE_REG MPIDR_EL1");
    return value;
}

Result<void> Vcpu::set_boot_state(const arm64::BootCpuState& st) {
    TRY(set_reg(m_fd.get(), k_reg_pstate, st.pstate, "pstate"));
    TRY(set_reg(m_fd.get(), k_reg_x0, st.x0, "x0"));
    for (uint64_t i = 1; i < 4; i++) // x1-x3 are reserved: zero
        TRY(set_reg(m_fd.get(), k_reg_x0 + i * 2, 0, "x1-x3"));
    TRY(set_reg(m_fd.get(), k_reg_pc, st.pc, "pc"));
    return {};
}

} // namespace hyper::kvm
