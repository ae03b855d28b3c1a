#include "vmm/builder.hpp"

#include "arch/x86_64/acpi/tables.hpp"
#include "arch/x86_64/boot_setup.hpp"
#include "arch/x86_64/cpuid.hpp"
#include "base/file.hpp"
#include "base/log.hpp"
#include "boot/cmdline.hpp"
#include "boot/kernel.hpp"
#include "devices/acpi_power.hpp"
#include "devices/cmos.hpp"
#include "devices/control.hpp"
#include "devices/i8042.hpp"
#include "devices/virtio/block.hpp"
#include "devices/virtio/mmio.hpp"
#include "devices/virtio/net.hpp"
#include "devices/virtio/p9_device.hpp"
#include "devices/virtio/vsock.hpp"
#include "vmm/boot_timer.hpp"
#include "vmm/initrd_loader.hpp"

namespace hyper {

namespace {

constexpr uint64_t k_max_kernel_size = 512ull << 20;
constexpr uint64_t k_max_initrd_size = 2048ull << 20;
constexpr uint64_t k_serial_port = 0x3f8;
constexpr uint32_t k_serial_gsi = 4;

Result<void> setup_memory(Machine& m, uint64_t ram_bytes) {
    auto ranges = x86::ram_ranges(ram_bytes);
    m.memory = TRY(GuestMemory::create(ranges));
    uint32_t slot = 0;
    for (const auto& r : m.memory.regions())
        TRY(m.vm.set_memory_region(slot++, r.base.value(), r.size, r.host));
    return {};
}

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

// The guest init's control page: boot marks, the app's exit status, power off, signals.
Result<void> setup_control_page(Machine& m, const VmConfig& config) {
    Machine* machine = &m;
    devices::ControlPage::Callbacks callbacks;
    callbacks.boot_mark = [](uint8_t mark) {
        if (mark == devices::ControlPage::k_boot_mark_init)
            boot_timer().guest_mark();
        LOG_DEBUG("guest boot mark %u", mark);
    };
    callbacks.exit_status = [machine](uint8_t status) {
        LOG_INFO("the app exited with status %u", status);
        machine->report_app_status(status);
    };
    callbacks.power_off = [machine] { machine->request_stop(machine->orderly_exit_code()); };
    m.control = std::make_shared<devices::ControlPage>(std::move(callbacks));
    m.run_mode = config.run_mode;
    return m.mmio_bus.insert(x86::k_control_page_addr, devices::ControlPage::k_size, m.control);
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

// "10.0.0.2/24" + gateway -> the kernel's ip= parameter for eth0 (the guest init applies
// it when the kernel has no CONFIG_IP_PNP).
std::string ip_parameter(const NetConfig& net) {
    size_t slash = net.ip.find('/');
    unsigned prefix = static_cast<unsigned>(std::stoul(net.ip.substr(slash + 1)));
    uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    std::string netmask = std::to_string(mask >> 24) + "." + std::to_string((mask >> 16) & 255) +
                          "." + std::to_string((mask >> 8) & 255) + "." +
                          std::to_string(mask & 255);
    return " ip=" + net.ip.substr(0, slash) + "::" + net.gateway + ":" + netmask + "::eth0:off";
}

struct GuestFiles {
    std::vector<uint8_t> kernel;
    std::optional<InitrdFile> initrd;
    std::vector<std::unique_ptr<virtio::VirtioDevice>> devices; // in slot order
};

// Files and disks are opened before KVM, so a wrong path or a locked image is reported
// as such on any host.
Result<GuestFiles> open_guest_files(const VmConfig& config) {
    GuestFiles files;
    files.kernel = TRY(read_file(config.kernel, "kernel", k_max_kernel_size));
    if (!config.initrd.empty())
        files.initrd = TRY(open_initrd(config.initrd, k_max_initrd_size));
    for (const auto& disk : config.disks) {
        virtio::BlockOptions options;
        options.path = disk.path;
        options.read_only = disk.read_only;
        options.serial = disk.serial;
        options.direct = disk.direct;
        files.devices.push_back(TRY(virtio::Block::open(options)));
    }
    if (config.net) {
        virtio::NetOptions options;
        options.tap = config.net->tap;
        if (config.net->mac) {
            options.mac = *config.net->mac;
            options.mac_set = true;
        }
        auto net = TRY(virtio::Net::open(options));
        if (net->created_tap())
            LOG_WARN("created TAP %s (it goes away when the VM stops)", options.tap.c_str());
        LOG_INFO("eth0 MAC %s on TAP %s", virtio::format_mac(net->mac()).c_str(),
                 options.tap.c_str());
        files.devices.push_back(std::move(net));
    }
    for (const auto& share : config.shares) {
        virtio::P9Options options;
        options.path = share.path;
        options.tag = share.tag;
        options.read_only = share.read_only;
        files.devices.push_back(TRY(virtio::P9Device::create(options)));
    }
    if (config.vsock) {
        virtio::VsockOptions options;
        options.guest_cid = config.vsock->cid;
        options.uds_path = config.vsock->uds;
        files.devices.push_back(TRY(virtio::Vsock::create(options)));
    }
    if (files.devices.size() > std::size(k_virtio_irqs))
        return fail(ExitCode::Usage,
                    "too many virtio devices: at most " + std::to_string(std::size(k_virtio_irqs)));
    return files;
}

// Puts each virtio device behind a virtio-mmio transport in the MMIO hole, with an irqfd
// for its interrupt and an ioeventfd on QueueNotify so a kick does not stop the vCPU in
// userspace. Returns the kernel command-line entries that announce them.
Result<std::string> setup_virtio_devices(Machine& m,
                                         std::vector<std::unique_ptr<virtio::VirtioDevice>> devs) {
    std::string cmdline;
    for (size_t i = 0; i < devs.size(); i++) {
        uint64_t base = x86::virtio_mmio_addr(static_cast<unsigned>(i));
        uint32_t gsi = k_virtio_irqs[i];
        auto irq = TRY(EventFd::create());
        TRY(m.vm.register_irqfd(irq.fd(), gsi));
        auto transport = TRY(virtio::MmioTransport::create(std::move(devs[i]), m.memory,
                                                           devices::IrqLine(std::move(irq))));
        TRY(m.mmio_bus.insert(base, virtio::MmioTransport::k_size, transport));
        m.virtio.push_back(transport);
        // QueueNotify takes the queue index: one eventfd per queue, matched on it.
        size_t queues = transport->queue_count();
        for (size_t q = 0; q < queues; q++)
            TRY(m.vm.register_ioeventfd(transport->notify_eventfd(q).fd(),
                                        base + virtio::MmioTransport::k_queue_notify_offset, 4,
                                        false,
                                        queues > 1 ? std::optional<uint64_t>(q) : std::nullopt));
        cmdline += " " + virtio::MmioTransport::kernel_cmdline_entry(base, gsi);
    }
    return cmdline;
}

Result<void> load_guest(Machine& m, const VmConfig& config, GuestFiles files,
                        const std::string& device_cmdline, x86::BootInfo& info) {
    auto kernel_file = std::move(files.kernel);
    auto kernel = TRY(boot::load_kernel(m.memory, kernel_file).map_error([&](Error e) {
        return std::move(e).with_context(config.kernel);
    }));
    kernel_file = {};
    auto initrd = TRY(load_initrds(m.memory, kernel, config.initrd, std::move(files.initrd),
                                   config.initrd_extra));
    std::string cmdline = config.cmdline + " " + k_platform_cmdline + device_cmdline;
    if (config.net && !config.net->ip.empty())
        cmdline += ip_parameter(*config.net);
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
    auto files = TRY(open_guest_files(config));
    auto m = std::make_unique<Machine>();
    m->stop_event = TRY(EventFd::create());
    m->kvm = TRY(kvm::Kvm::open());
    if (config.cpus > static_cast<uint32_t>(m->kvm.max_vcpus()))
        return fail(ExitCode::Usage, "--cpus: this host's KVM allows at most " +
                                         std::to_string(m->kvm.max_vcpus()) + " vCPUs");
    m->vm = TRY(kvm::Vm::create(m->kvm));
    TRY(setup_memory(*m, config.memory_mib << 20));
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
    TRY(setup_control_page(*m, config));
    TRY(setup_vcpus(*m, config.cpus, bsp_state));
    LOG_INFO("VM ready: %u vCPU(s), %llu MiB", config.cpus, (unsigned long long)config.memory_mib);
    return m;
}

} // namespace hyper
