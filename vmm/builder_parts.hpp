#pragma once
// The arch-neutral pieces of the builder (vmm/builder.cpp), shared by the per-arch
// wiring in vmm/builder_<arch>.cpp, which meson picks by the host's CPU family.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/file.hpp"
#include "base/result.hpp"
#include "devices/virtio/device.hpp"
#include "devices/virtio/mmio.hpp"
#include "vmm/config.hpp"
#include "vmm/initrd_loader.hpp"
#include "vmm/machine.hpp"

namespace hyper::builder {

inline constexpr uint64_t k_max_kernel_size = 512ull << 20;
inline constexpr uint64_t k_max_initrd_size = 2048ull << 20;

struct GuestFiles {
    MappedFile kernel;
    std::optional<InitrdFile> initrd;
    std::vector<std::unique_ptr<virtio::VirtioDevice>> devices; // in slot order
};

// Files and disks are opened before KVM, so a wrong path or a locked image is reported
// as such on any host. More than `max_devices` virtio devices: ExitCode::Usage.
Result<GuestFiles> open_guest_files(const VmConfig& config, size_t max_devices);

// The stop eventfd, /dev/kvm (with the --cpus check) and the VM.
Result<void> open_vm(Machine& m, const VmConfig& config);

// Guest RAM: one mapping split into `ranges`, one memory slot per region.
Result<void> setup_memory(Machine& m, std::span<const std::pair<uint64_t, uint64_t>> ranges);

// The guest init's control page at `addr`: boot marks, the app's exit status, power off.
Result<void> setup_control_page(Machine& m, const VmConfig& config, uint64_t addr);

// A virtio device behind a virtio-mmio transport at `base`, with an irqfd on `gsi` and an
// ioeventfd per queue on QueueNotify (a kick does not stop the vCPU in userspace).
Result<void> attach_virtio(Machine& m, std::unique_ptr<virtio::VirtioDevice> device, uint64_t base,
                           uint32_t gsi);

// "10.0.0.2/24" + gateway -> the kernel's ip= parameter for eth0 (the guest init applies
// it when the kernel has no CONFIG_IP_PNP).
std::string ip_parameter(const NetConfig& net);

} // namespace hyper::builder
