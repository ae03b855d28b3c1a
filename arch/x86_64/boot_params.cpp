#include "arch/x86_64/boot_params.hpp"

#include <cstddef>
#include <cstring>
#include <string>

namespace hyper::x86 {

static_assert(sizeof(BootParams) == 4096);
static_assert(sizeof(BootE820Entry) == 20);
static_assert(offsetof(BootParams, acpi_rsdp_addr) == 0x070);
static_assert(offsetof(BootParams, ext_ramdisk_image) == 0x0c0);
static_assert(offsetof(BootParams, ext_ramdisk_size) == 0x0c4);
static_assert(offsetof(BootParams, ext_cmd_line_ptr) == 0x0c8);
static_assert(offsetof(BootParams, e820_entries) == 0x1e8);
static_assert(offsetof(BootParams, hdr) == 0x1f1);
static_assert(offsetof(BootParams, e820_table) == 0x2d0);
static_assert(offsetof(SetupHeader, boot_flag) == 0x1fe - 0x1f1);
static_assert(offsetof(SetupHeader, header) == 0x202 - 0x1f1);
static_assert(offsetof(SetupHeader, version) == 0x206 - 0x1f1);
static_assert(offsetof(SetupHeader, type_of_loader) == 0x210 - 0x1f1);
static_assert(offsetof(SetupHeader, ramdisk_image) == 0x218 - 0x1f1);
static_assert(offsetof(SetupHeader, cmd_line_ptr) == 0x228 - 0x1f1);
static_assert(offsetof(SetupHeader, kernel_alignment) == 0x230 - 0x1f1);
static_assert(offsetof(SetupHeader, cmdline_size) == 0x238 - 0x1f1);
static_assert(offsetof(SetupHeader, kernel_info_offset) == 0x268 - 0x1f1);

namespace {
// The bytes from 0x1f1 that a kernel's setup header may cover (0x290: edd_mbr_sig_buffer).
constexpr size_t k_header_room = 0x290 - 0x1f1;
} // namespace

Result<BootParams> make_boot_params(const boot::LoadedKernel& kernel,
                                    const boot::CmdlinePlacement& cmdline,
                                    const std::optional<boot::InitrdPlacement>& initrd,
                                    std::span<const E820Entry> e820) {
    BootParams bp;
    std::memset(&bp, 0, sizeof(bp));
    if (!kernel.setup_header.empty()) {
        if (kernel.setup_header.size() > k_header_room)
            return fail(ExitCode::Internal, "setup header larger than boot_params has room for");
        std::memcpy(reinterpret_cast<uint8_t*>(&bp) + offsetof(BootParams, hdr),
                    kernel.setup_header.data(), kernel.setup_header.size());
    } else {
        // No setup header (ELF vmlinux): the fields the kernel checks.
        bp.hdr.boot_flag = k_boot_flag;
        bp.hdr.header = k_hdrs_magic;
        bp.hdr.version = 0x020f;
        bp.hdr.kernel_alignment = 0x1000000;
        bp.hdr.cmdline_size = kernel.cmdline_size;
    }
    bp.hdr.type_of_loader = k_type_of_loader_undefined;

    bp.hdr.cmd_line_ptr = static_cast<uint32_t>(cmdline.addr);
    bp.ext_cmd_line_ptr = static_cast<uint32_t>(cmdline.addr >> 32);

    if (initrd && initrd->size > 0) {
        if (initrd->addr > kernel.initrd_addr_max ||
            initrd->size - 1 > kernel.initrd_addr_max - initrd->addr)
            return fail(ExitCode::Internal, "initrd is above the kernel's initrd_addr_max");
        if (initrd->size > UINT32_MAX)
            return fail(ExitCode::Usage, "initrd is larger than 4 GiB");
        bp.hdr.ramdisk_image = static_cast<uint32_t>(initrd->addr);
        bp.ext_ramdisk_image = static_cast<uint32_t>(initrd->addr >> 32);
        bp.hdr.ramdisk_size = static_cast<uint32_t>(initrd->size);
        bp.ext_ramdisk_size = static_cast<uint32_t>(initrd->size >> 32);
    }

    if (e820.size() > k_zero_page_e820_max)
        return fail(ExitCode::Internal, "e820 map has " + std::to_string(e820.size()) +
                                            " entries; the zero page holds 128");
    bp.e820_entries = static_cast<uint8_t>(e820.size());
    for (size_t i = 0; i < e820.size(); ++i)
        bp.e820_table[i] = {e820[i].addr, e820[i].size, static_cast<uint32_t>(e820[i].type)};
    return bp;
}

Result<void> write_boot_params(const GuestMemory& mem, const boot::LoadedKernel& kernel,
                               const boot::CmdlinePlacement& cmdline,
                               const std::optional<boot::InitrdPlacement>& initrd,
                               std::span<const E820Entry> e820) {
    auto bp = TRY(make_boot_params(kernel, cmdline, initrd, e820));
    if (!mem.write_obj(GuestAddress(k_zero_page_addr), bp))
        return fail(ExitCode::Internal, "the zero page is not in guest RAM");
    return {};
}

} // namespace hyper::x86
