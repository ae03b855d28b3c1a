#pragma once
// The device tree that describes the arm64 machine to the kernel, written with libfdt:
// memory, cpus (MPIDR, PSCI enable method), psci (HVC), the arch timer, the GIC, the
// 16550A UART, one virtio,mmio node per device and /chosen (bootargs, initrd range,
// stdout-path).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "kvm/arm64_state.hpp"

namespace hyper::arm64 {

struct FdtVirtio {
    uint64_t addr{0};
    uint64_t size{0};
    uint32_t spi{0};
};

struct FdtConfig {
    uint64_t ram_base{0};
    uint64_t ram_bytes{0};
    std::vector<uint64_t> mpidrs; // one per vCPU: MPIDR_EL1 affinity bits
    GicVersion gic{GicVersion::V3};
    std::string bootargs;
    std::optional<std::pair<uint64_t, uint64_t>> initrd; // [start, end)
    std::vector<FdtVirtio> virtio;
};

// The flattened device tree blob (at most k_fdt_max_size bytes).
Result<std::vector<uint8_t>> build_fdt(const FdtConfig& config);

// Device-tree interrupt flags (include/dt-bindings/interrupt-controller).
inline constexpr uint32_t k_irq_type_edge_rising = 1;
inline constexpr uint32_t k_irq_type_level_low = 8;
inline constexpr uint32_t k_gic_spi = 0;
inline constexpr uint32_t k_gic_ppi = 1;
inline constexpr uint32_t k_gic_phandle = 1;

} // namespace hyper::arm64
