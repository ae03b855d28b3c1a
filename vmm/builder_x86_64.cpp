// The x86_64 wiring of a VM (vmm/builder.hpp): the port-I/O legacy devices, the ISA
// interrupt lines, the MP and ACPI tables, CPUID and MSRs.
#include "arch/x86_64/acpi/tables.hpp"
#include "arch/x86_64/boot_setup.hpp"
#include "arch/x86_64/cpuid.hpp"
#include "base/log.hpp"
#include "boot/cmdline.hpp"
#include "boot/kernel.hpp"
#include "devices/acpi_power.hpp"
#include "devices/cmos.hpp"
#include "devices/i8042.hpp"
#include "vmm/boot_timer.hpp"
#include "vmm/builder.hpp"
#include "vmm/builder_parts.hpp"

namespace hyper {

namespace {

using builder::GuestFiles;

constexpr uint64_t k_serial_port = 0x3f8;
constexpr uint32_t k_serial_gsi = 4;

Result<void> setup_legacy_devices(Machine& m, const Console& console) {
    auto serial_irq = TRY(EventFd::create());
    TRY(m.vm.register_irqfd(serial_irq.fd(), k_serial_gsi));
    m.serial = std::make_shared<devices::Serial>(devices::IrqLine(std::move(serial_irq)),
                                                 console.output_fd());
    TRY(m.pio_bus.insert(k_serial_port, devices::Serial::k_size, m.serial));
    Machine* machine = &m;
    TRY(m.pio_bus.insert(devices::I8042::k_base, devices::I8042::k_size,
                         std::make_shared<devices::I8042>([machine] { machine->guest_reset(); })));
    TRY(m.pio_bus.insert(devices::Cmos::k_base, devices::Cmos::k_size,
                         std::make_shared<devices::Cmos>()));
    return {};
}

// ACPI power off (S5) and reset (arch/x86_64/acpi/tables.hpp puts the ports in the FADT).
static_assert(devices::AcpiPower::k_size == x86::acpi::k_power_ports_size &&
              devices::AcpiPower::k_sleep_control ==
                  x86::acpi::k_sleep_control_port - x86::acpi::k_power_ports_base &&
              devices::AcpiPower::k_sleep_status ==
                  x86::acpi::k_sleep_status_port - x86::acpi::k_power_ports_base &&
              devices::AcpiPower::k_reset ==
                  x86::acpi::k_reset_port - x86::acpi::k_power_ports_base &&
              devices::AcpiPower::k_reset_value == x86::acpi::k_reset_value &&
              devices::AcpiPower::k_s5 == x86::acpi::k_s5_sleep_type);
Result<void> setup_acpi_power(Machine& m) {
    Machine* machine = &m;
    auto power = std::make_shared<devices::AcpiPower>(
        [machine] { machine->request_stop(machine->orderly_exit_code()); },
        [machine] { machine->guest_reset(); });
    return m.pio_bus.insert(x86::acpi::k_power_ports_base, devices::AcpiPower::k_size, power);
}

// ISA interrupt lines free for virtio-mmio devices (the MP table routes IRQs 0-15 to the
// IOAPIC): not the timer (0), keyboard (1), cascade (2), COM2/COM1 (3, 4) or RTC (8).
constexpr uint32_t k_virtio_irqs[] = {5, 6, 7, 9, 10, 11, 12, 13, 14, 15};

// The ACPI description of the virtio-mmio devices setup_virtio_devices places.
x86::acpi::AcpiConfig acpi_config(uint32_t cpus, size_t virtio_devices) {
    x86::acpi::AcpiConfig acpi;
    acpi.cpus = cpus;
    for (size_t i = 0; i < virtio_devices; i++)
        acpi.virtio.push_back({x86::virtio_mmio_addr(static_cast<unsigned>(i)),
                               static_cast<uint32_t>(virtio::MmioTransport::k_size),
                               k_virtio_irqs[i]});
    return acpi;
}

// Puts each virtio device in the MMIO hole on a free ISA interrupt. Returns the kernel
// command-line entries that announce them.
Result<std::string> setup_virtio_devices(Machine& m,
                                         std::vector<std::unique_ptr<virtio::VirtioDevice>> devs) {
    std::string cmdline;
    for (size_t i = 0; i < devs.size(); i++) {
        uint64_t base = x86::virtio_mmio_addr(static_cast<unsigned>(i));
        uint32_t gsi = k_virtio_irqs[i];
        TRY(builder::attach_virtio(m, std::move(devs[i]), base, gsi));
        cmdline += " " + virtio::MmioTransport::kernel_cmdline_entry(base, gsi);
    }
    return cmdline;
}

Result<void> load_guest(Machine& m, const VmConfig& config, GuestFiles files,
                        const std::string& device_cmdline, x86::BootInfo& info) {
    auto kernel_file = std::move(files.kernel);
    auto kernel = TRY(boot::load_kernel(m.memory, kernel_file.bytes()).map_error([&](Error e) {
        return std::move(e).with_context(config.kernel);
    }));
    kernel_file = {};
    auto initrd = TRY(load_initrds(m.memory, kernel, config.initrd, std::move(files.initrd),
                                   config.initrd_extra));
    std::string cmdline = config.cmdline + " " + k_platform_cmdline + device_cmdline;
    if (config.net && !config.net->ip.empty())
        cmdline += builder::ip_parameter(*config.net);
    auto placed = TRY(boot::write_cmdline(m.memory, GuestAddress(x86::k_cmdline_addr),
                                          x86::k_cmdline_max, kernel.cmdline_size, cmdline));
    info.kernel = std::move(kernel);
    info.initrd = initrd;
    info.cmdline = placed;
    return {};
}

Result<void> setup_vcpus(Machine& m, uint32_t count, const x86::BootCpuState& bsp_state) {
    auto supported = TRY(m.kvm.supported_cpuid());
    auto msrs = x86::boot_msrs();
    for (uint32_t id = 0; id < count; id++) {
        auto vcpu = TRY(m.vm.create_vcpu(m.kvm, id));
        TRY(vcpu->set_cpuid(x86::vcpu_cpuid(supported, id, count)));
        TRY(vcpu->set_msrs(msrs));
        TRY(vcpu->init_fpu_and_lapic());
        // Only the BSP gets a boot state; the in-kernel LAPIC holds the others in
        // wait-for-SIPI until the guest starts them.
        if (id == 0)
            TRY(vcpu->set_boot_state(bsp_state));
        m.vcpus.push_back(std::move(vcpu));
    }
    return {};
}

} // namespace

Result<std::unique_ptr<Machine>> build_machine(const VmConfig& config, const Console& console) {
    auto files = TRY(builder::open_guest_files(config, std::size(k_virtio_irqs)));
    auto m = std::make_unique<Machine>();
    TRY(builder::open_vm(*m, config));
    TRY(builder::setup_memory(*m, x86::ram_ranges(config.memory_mib << 20)));
    TRY(m->vm.create_platform_irqchip());

    x86::BootInfo info;
    info.ram_bytes = config.memory_mib << 20;
    info.cpus = config.cpus;
    // With ACPI the devices are in the DSDT too; the command-line entries stay for kernels
    // without ACPI. A kernel with both sees each window twice: the second registration
    // fails to claim the window (-EBUSY) and is dropped (see README, "Distribution kernels").
    if (config.acpi)
        info.acpi = acpi_config(config.cpus, files.devices.size());
    auto device_cmdline = TRY(setup_virtio_devices(*m, std::move(files.devices)));
    // vm_ready: VM, memory, irqchip and devices made; the vCPUs follow the kernel load
    // (the BSP's state comes from it)
    boot_timer().mark(BootPoint::VmReady);
    TRY(load_guest(*m, config, std::move(files), device_cmdline, info));
    boot_timer().mark(BootPoint::KernelLoaded);
    auto bsp_state = TRY(x86::setup_boot(m->memory, info));
    TRY(setup_legacy_devices(*m, console));
    if (config.acpi)
        TRY(setup_acpi_power(*m));
    TRY(builder::setup_control_page(*m, config, x86::k_control_page_addr));
    TRY(setup_vcpus(*m, config.cpus, bsp_state));
    LOG_INFO("VM ready: %u vCPU(s), %llu MiB", config.cpus, (unsigned long long)config.memory_mib);
    return m;
}

} // namespace hyper
