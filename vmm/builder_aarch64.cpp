// The aarch64 wiring of a VM (vmm/builder.hpp): vCPUs initialised with PSCI 0.2, the
// in-kernel GIC, the UART and the virtio-mmio devices on the MMIO bus below RAM, and a
// device tree that describes them (arch/aarch64).
#include "arch/aarch64/boot_setup.hpp"
#include "base/log.hpp"
#include "boot/kernel.hpp"
#include "vmm/boot_timer.hpp"
#include "vmm/builder.hpp"
#include "vmm/builder_parts.hpp"

namespace hyper {

namespace {

// The device tree's cpu@ reg (#address-cells 1): Aff2.Aff1.Aff0 of MPIDR_EL1.
constexpr uint64_t k_mpidr_affinity_mask = 0x00ffffff;

// Every vCPU, initialised; the others than the boot vCPU powered off until PSCI CPU_ON.
// Returns their MPIDRs.
Result<std::vector<uint64_t>> setup_vcpus(Machine& m, uint32_t count) {
    uint32_t target = TRY(m.vm.preferred_target());
    std::vector<uint64_t> mpidrs;
    for (uint32_t id = 0; id < count; id++) {
        auto vcpu = TRY(m.vm.create_vcpu(m.kvm, id));
        TRY(vcpu->arm_init(target, id != 0));
        mpidrs.push_back(TRY(vcpu->mpidr()) & k_mpidr_affinity_mask);
        m.vcpus.push_back(std::move(vcpu));
    }
    return mpidrs;
}

Result<void> setup_uart(Machine& m, const Console& console) {
    auto irq = TRY(EventFd::create());
    TRY(m.vm.register_irqfd(irq.fd(), arm64::k_uart_spi));
    m.serial =
        std::make_shared<devices::Serial>(devices::IrqLine(std::move(irq)), console.output_fd());
    return m.mmio_bus.insert(arm64::k_uart_addr, devices::Serial::k_size, m.serial);
}

Result<std::vector<arm64::FdtVirtio>>
setup_virtio_devices(Machine& m, std::vector<std::unique_ptr<virtio::VirtioDevice>> devs) {
    std::vector<arm64::FdtVirtio> nodes;
    for (size_t i = 0; i < devs.size(); i++) {
        uint64_t base = arm64::virtio_mmio_addr(static_cast<unsigned>(i));
        uint32_t spi = arm64::virtio_spi(static_cast<unsigned>(i));
        TRY(builder::attach_virtio(m, std::move(devs[i]), base, spi));
        nodes.push_back({base, virtio::MmioTransport::k_size, spi});
    }
    return nodes;
}

Result<void> load_guest(Machine& m, const VmConfig& config, builder::GuestFiles files,
                        arm64::BootInfo& info) {
    auto kernel_file = std::move(files.kernel);
    auto kernel =
        TRY(boot::load_arm64_image(m.memory, kernel_file.bytes(), arm64::k_ram_start)
                .map_error([&](Error e) { return std::move(e).with_context(config.kernel); }));
    kernel_file = {};
    // the initrd below the device tree
    kernel.initrd_addr_max = arm64::fdt_addr(info.ram_bytes) - 1;
    info.initrd = TRY(load_initrds(m.memory, kernel, config.initrd, std::move(files.initrd),
                                   config.initrd_extra));
    info.kernel = std::move(kernel);
    info.cmdline = config.cmdline + " " + k_platform_cmdline;
    if (config.net && !config.net->ip.empty())
        info.cmdline += builder::ip_parameter(*config.net);
    return {};
}

} // namespace

Result<std::unique_ptr<Machine>> build_machine(const VmConfig& config, const Console& console) {
    auto files = TRY(builder::open_guest_files(config, arm64::k_max_virtio_devices));
    uint64_t ram_bytes = config.memory_mib << 20;
    if (ram_bytes > arm64::k_ram_limit - arm64::k_ram_start)
        return fail(ExitCode::Usage,
                    "--memory: at most " +
                        std::to_string((arm64::k_ram_limit - arm64::k_ram_start) >> 20) +
                        " MiB on aarch64");
    auto m = std::make_unique<Machine>();
    TRY(builder::open_vm(*m, config));
    TRY(builder::setup_memory(*m, arm64::ram_ranges(ram_bytes)));

    arm64::BootInfo info;
    info.ram_bytes = ram_bytes;
    // The vCPUs first: the device tree names their MPIDRs, and the GIC is initialised
    // once they all exist.
    info.mpidrs = TRY(setup_vcpus(*m, config.cpus));
    arm64::GicLayout gic;
    gic.dist_addr = arm64::k_gicd_addr;
    gic.redist_addr = arm64::k_gicr_addr;
    gic.cpu_addr = arm64::k_gicc_addr;
    gic.nr_irqs = arm64::k_gic_nr_irqs;
    info.gic = TRY(m->vm.create_gic(gic));
    TRY(m->vm.finalize_gic());
    LOG_INFO("in-kernel GIC%s", info.gic == arm64::GicVersion::V3 ? "v3" : "v2");
    TRY(setup_uart(*m, console));
    info.virtio = TRY(setup_virtio_devices(*m, std::move(files.devices)));
    boot_timer().mark(BootPoint::VmReady);
    TRY(load_guest(*m, config, std::move(files), info));
    boot_timer().mark(BootPoint::KernelLoaded);
    auto boot_state = TRY(arm64::setup_boot(m->memory, info));
    TRY(builder::setup_control_page(*m, config, arm64::k_control_page_addr));
    TRY(m->vcpus[0]->set_boot_state(boot_state));
    LOG_INFO("VM ready: %u vCPU(s), %llu MiB", config.cpus, (unsigned long long)config.memory_mib);
    return m;
}

} // namespace hyper
