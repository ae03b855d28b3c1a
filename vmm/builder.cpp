#include "vmm/builder_parts.hpp"

#include "base/file.hpp"
#include "base/log.hpp"
#include "devices/control.hpp"
#include "devices/virtio/block.hpp"
#include "devices/virtio/net.hpp"
#include "devices/virtio/p9_device.hpp"
#include "devices/virtio/vsock.hpp"
#include "vmm/boot_timer.hpp"

namespace hyper::builder {

Result<void> open_vm(Machine& m, const VmConfig& config) {
    // virtio-9p serves its requests on the vCPU that notifies (P9Device): the vCPU threads
    // need its syscalls then.
    if (!config.shares.empty())
        m.vcpu_role = ThreadRole::Vcpu9p;
    m.stop_event = TRY(EventFd::create());
    m.kvm = TRY(kvm::Kvm::open());
    if (config.cpus > static_cast<uint32_t>(m.kvm.max_vcpus()))
        return fail(ExitCode::Usage, "--cpus: this host's KVM allows at most " +
                                         std::to_string(m.kvm.max_vcpus()) + " vCPUs");
    m.vm = TRY(kvm::Vm::create(m.kvm));
    return {};
}

Result<void> setup_memory(Machine& m, std::span<const std::pair<uint64_t, uint64_t>> ranges) {
    m.memory = TRY(GuestMemory::create(ranges));
    uint32_t slot = 0;
    for (const auto& r : m.memory.regions())
        TRY(m.vm.set_memory_region(slot++, r.base.value(), r.size, r.host));
    return {};
}

Result<void> setup_control_page(Machine& m, const VmConfig& config, uint64_t addr) {
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
    return m.mmio_bus.insert(addr, devices::ControlPage::k_size, m.control);
}

std::string ip_parameter(const NetConfig& net) {
    size_t slash = net.ip.find('/');
    unsigned prefix = static_cast<unsigned>(std::stoul(net.ip.substr(slash + 1)));
    uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    std::string netmask = std::to_string(mask >> 24) + "." + std::to_string((mask >> 16) & 255) +
                          "." + std::to_string((mask >> 8) & 255) + "." +
                          std::to_string(mask & 255);
    return " ip=" + net.ip.substr(0, slash) + "::" + net.gateway + ":" + netmask + "::eth0:off";
}

Result<GuestFiles> open_guest_files(const VmConfig& config, size_t max_devices) {
    GuestFiles files;
    files.kernel = TRY(map_file(config.kernel, "kernel", k_max_kernel_size));
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
    if (files.devices.size() > max_devices)
        return fail(ExitCode::Usage,
                    "too many virtio devices: at most " + std::to_string(max_devices));
    return files;
}

Result<void> attach_virtio(Machine& m, std::unique_ptr<virtio::VirtioDevice> device, uint64_t base,
                           uint32_t gsi) {
    auto irq = TRY(EventFd::create());
    TRY(m.vm.register_irqfd(irq.fd(), gsi));
    auto transport = TRY(virtio::MmioTransport::create(std::move(device), m.memory,
                                                       devices::IrqLine(std::move(irq))));
    TRY(m.mmio_bus.insert(base, virtio::MmioTransport::k_size, transport));
    m.virtio.push_back(transport);
    // QueueNotify takes the queue index: one eventfd per queue, matched on it. A device
    // that serves on the notifying vCPU gets every write through the bus instead.
    if (transport->serves_on_notify())
        return {};
    size_t queues = transport->queue_count();
    for (size_t q = 0; q < queues; q++)
        TRY(m.vm.register_ioeventfd(transport->notify_eventfd(q).fd(),
                                    base + virtio::MmioTransport::k_queue_notify_offset, 4, false,
                                    queues > 1 ? std::optional<uint64_t>(q) : std::nullopt));
    return {};
}

} // namespace hyper::builder
