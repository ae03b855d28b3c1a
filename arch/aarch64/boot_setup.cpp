#include "arch/aarch64/boot_setup.hpp"

namespace hyper::arm64 {

Result<BootCpuState> setup_boot(const GuestMemory& mem, const BootInfo& info) {
    if (info.cmdline.size() > k_cmdline_max)
        return fail(ExitCode::Usage,
                    "kernel command line is " + std::to_string(info.cmdline.size()) +
                        " bytes; arm64 kernels take at most " + std::to_string(k_cmdline_max));
    uint64_t fdt = fdt_addr(info.ram_bytes);
    if (info.kernel.load_end > fdt)
        return fail(ExitCode::Usage, "the kernel reaches into the device tree's place at the end "
                                     "of RAM; give the VM more memory");
    FdtConfig config;
    config.ram_base = k_ram_start;
    config.ram_bytes = info.ram_bytes;
    config.mpidrs = info.mpidrs;
    config.gic = info.gic;
    config.bootargs = info.cmdline;
    if (info.initrd) {
        if (info.initrd->addr + info.initrd->size > fdt)
            return fail(ExitCode::Internal, "the initrd overlaps the device tree");
        config.initrd = {info.initrd->addr, info.initrd->addr + info.initrd->size};
    }
    config.virtio = info.virtio;
    auto blob = TRY(build_fdt(config));
    if (!mem.write(GuestAddress(fdt), blob))
        return fail(ExitCode::Internal, "writing the device tree to guest RAM failed");
    BootCpuState state;
    state.pc = info.kernel.entry;
    state.x0 = fdt;
    return state;
}

} // namespace hyper::arm64
