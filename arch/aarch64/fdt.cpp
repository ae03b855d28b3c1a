#include "arch/aarch64/fdt.hpp"

#include <cstdio>

#include "arch/aarch64/layout.hpp"

extern "C" {
#include <libfdt.h>
}

namespace hyper::arm64 {

namespace {

// A thin layer over libfdt's sequential writer: the first error sticks and is reported
// once at the end.
class Writer {
  public:
    explicit Writer(std::vector<uint8_t>& buf) : m_buf(buf) {
        check(fdt_create(m_buf.data(), static_cast<int>(m_buf.size())));
        check(fdt_finish_reservemap(m_buf.data()));
    }
    void begin(const std::string& name) { check(fdt_begin_node(m_buf.data(), name.c_str())); }
    void end() { check(fdt_end_node(m_buf.data())); }
    void prop(const char* name) { check(fdt_property(m_buf.data(), name, nullptr, 0)); }
    void prop(const char* name, const std::string& value) {
        check(fdt_property_string(m_buf.data(), name, value.c_str()));
    }
    // Several strings, each NUL-terminated (a "stringlist").
    void prop_strings(const char* name, std::initializer_list<const char*> values) {
        std::string all;
        for (const char* v : values) {
            all += v;
            all.push_back('\0');
        }
        check(fdt_property(m_buf.data(), name, all.data(), static_cast<int>(all.size())));
    }
    void prop_u32(const char* name, uint32_t value) {
        check(fdt_property_u32(m_buf.data(), name, value));
    }
    void prop_u64(const char* name, uint64_t value) {
        check(fdt_property_u64(m_buf.data(), name, value));
    }
    // 32-bit cells, stored big-endian.
    void prop_cells(const char* name, const std::vector<uint32_t>& cells) {
        std::vector<fdt32_t> be;
        for (uint32_t c : cells)
            be.push_back(cpu_to_fdt32(c));
        check(fdt_property(m_buf.data(), name, be.data(), static_cast<int>(be.size() * 4)));
    }
    // (address, size) pairs of two cells each.
    void prop_reg(std::initializer_list<std::pair<uint64_t, uint64_t>> ranges) {
        std::vector<uint32_t> cells;
        for (auto [addr, size] : ranges) {
            cells.push_back(static_cast<uint32_t>(addr >> 32));
            cells.push_back(static_cast<uint32_t>(addr));
            cells.push_back(static_cast<uint32_t>(size >> 32));
            cells.push_back(static_cast<uint32_t>(size));
        }
        prop_cells("reg", cells);
    }
    Result<void> finish() {
        check(fdt_end_node(m_buf.data())); // the root
        check(fdt_finish(m_buf.data()));
        if (m_error != 0)
            return fail(m_error == -FDT_ERR_NOSPACE ? ExitCode::Usage : ExitCode::Internal,
                        std::string("building the device tree: ") + fdt_strerror(m_error));
        m_buf.resize(fdt_totalsize(m_buf.data()));
        return {};
    }

  private:
    void check(int rc) {
        if (rc < 0 && m_error == 0)
            m_error = rc;
    }
    std::vector<uint8_t>& m_buf;
    int m_error{0};
};

std::string unit_name(const char* name, uint64_t addr) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%s@%llx", name, static_cast<unsigned long long>(addr));
    return buf;
}

void cpus(Writer& w, const FdtConfig& c) {
    w.begin("cpus");
    w.prop_u32("#address-cells", 1);
    w.prop_u32("#size-cells", 0);
    for (uint64_t mpidr : c.mpidrs) {
        w.begin(unit_name("cpu", mpidr));
        w.prop("device_type", "cpu");
        w.prop("compatible", "arm,arm-v8");
        w.prop("enable-method", "psci");
        w.prop_u32("reg", static_cast<uint32_t>(mpidr));
        w.end();
    }
    w.end();
}

void gic(Writer& w, const FdtConfig& c) {
    w.begin(unit_name("intc", k_gicd_addr));
    if (c.gic == GicVersion::V3) {
        w.prop("compatible", "arm,gic-v3");
        w.prop_reg({{k_gicd_addr, k_gicd_size},
                    {k_gicr_addr, gicr_size(static_cast<uint32_t>(c.mpidrs.size()))}});
    } else {
        w.prop("compatible", "arm,cortex-a15-gic");
        w.prop_reg({{k_gicd_addr, k_gicd_size}, {k_gicc_addr, k_gicc_size}});
    }
    w.prop_u32("#interrupt-cells", 3);
    w.prop("interrupt-controller");
    w.prop_u32("#address-cells", 2);
    w.prop_u32("#size-cells", 2);
    w.prop_u32("phandle", k_gic_phandle);
    w.end();
}

// The architected timer's four PPIs: secure and non-secure physical, virtual, hypervisor.
void timer(Writer& w, const FdtConfig& c) {
    uint32_t flags = k_irq_type_level_low;
    if (c.gic == GicVersion::V2) // GICv2 names the CPUs a PPI goes to
        flags |= ((1u << c.mpidrs.size()) - 1) << 8;
    w.begin("timer");
    w.prop("compatible", "arm,armv8-timer");
    w.prop_cells("interrupts", {k_gic_ppi, 13, flags, k_gic_ppi, 14, flags, k_gic_ppi, 11, flags,
                                k_gic_ppi, 10, flags});
    w.prop("always-on");
    w.end();
}

void devices(Writer& w, const FdtConfig& c) {
    w.begin(unit_name("uart", k_uart_addr));
    w.prop("compatible", "ns16550a");
    w.prop_reg({{k_uart_addr, k_uart_size}});
    w.prop_u32("clock-frequency", k_uart_clock_hz);
    w.prop_u32("reg-shift", 0);
    w.prop_u32("reg-io-width", 1);
    w.prop_cells("interrupts", {k_gic_spi, k_uart_spi, k_irq_type_edge_rising});
    w.end();
    for (const auto& v : c.virtio) {
        w.begin(unit_name("virtio_mmio", v.addr));
        w.prop("compatible", "virtio,mmio");
        w.prop_reg({{v.addr, v.size}});
        w.prop_cells("interrupts", {k_gic_spi, v.spi, k_irq_type_edge_rising});
        w.prop("dma-coherent");
        w.end();
    }
}

} // namespace

Result<std::vector<uint8_t>> build_fdt(const FdtConfig& c) {
    if (c.mpidrs.empty() || c.mpidrs.size() > k_max_cpus)
        return fail(ExitCode::Internal, "device tree: bad vCPU count");
    if (c.gic == GicVersion::V2 && c.mpidrs.size() > 8)
        return fail(ExitCode::Usage, "a GICv2 serves at most 8 vCPUs (this host has no GICv3)");
    std::vector<uint8_t> buf(64 * 1024 + c.bootargs.size() + c.mpidrs.size() * 128);
    if (buf.size() > k_fdt_max_size)
        return fail(ExitCode::Usage, "device tree larger than 2 MiB");
    Writer w(buf);
    w.begin("");
    w.prop("compatible", "linux,dummy-virt");
    w.prop_u32("#address-cells", 2);
    w.prop_u32("#size-cells", 2);
    w.prop_u32("interrupt-parent", k_gic_phandle);

    w.begin(unit_name("memory", c.ram_base));
    w.prop("device_type", "memory");
    w.prop_reg({{c.ram_base, c.ram_bytes}});
    w.end();
    cpus(w, c);
    w.begin("psci");
    w.prop_strings("compatible", {"arm,psci-0.2", "arm,psci"});
    w.prop("method", "hvc");
    w.end();
    gic(w, c);
    timer(w, c);
    devices(w, c);

    w.begin("chosen");
    w.prop("bootargs", c.bootargs);
    if (c.initrd) {
        w.prop_u64("linux,initrd-start", c.initrd->first);
        w.prop_u64("linux,initrd-end", c.initrd->second);
    }
    std::string stdout_path("/");
    stdout_path += unit_name("uart", k_uart_addr);
    w.prop("stdout-path", stdout_path);
    w.end();
    TRY(w.finish());
    return buf;
}

} // namespace hyper::arm64
