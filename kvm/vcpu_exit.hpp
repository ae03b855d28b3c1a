#pragma once
// The typed result of one KVM_RUN: Vcpu::run() decodes kvm_run in one place and returns
// one of these; the vCPU loop dispatches on it. No <linux/kvm.h> here.
#include <array>
#include <cstdint>
#include <span>
#include <variant>

namespace hyper::kvm {

// Port I/O. `data` points into the kvm_run page: `count` items of `size` bytes (count > 1
// for rep ins/outs). For IoIn the handler fills it.
struct IoIn {
    uint16_t port;
    uint8_t size;
    uint32_t count;
    std::span<uint8_t> data;
};
struct IoOut {
    uint16_t port;
    uint8_t size;
    uint32_t count;
    std::span<const uint8_t> data;
};
struct MmioRead {
    uint64_t address;
    std::span<uint8_t> data;
};
struct MmioWrite {
    uint64_t address;
    std::span<const uint8_t> data;
};
struct Hlt {};
struct Shutdown {};  // triple fault (x86) or the guest asked to reset
struct SystemEvent { // PSCI (aarch64) or other system events
    enum class Kind { Shutdown, Reset, Crash, Other } kind;
    // A warm reset (PSCI SYSTEM_RESET2 on aarch64): what a panic asks for when the kernel
    // has reboot=panic_warm.
    bool warm{false};
};
struct Interrupted {}; // KVM_RUN returned EINTR: the VMM kicked this vCPU
struct InternalError {
    uint32_t suberror;
    uint32_t ndata;               // how many of data[] KVM filled (at most 4 kept)
    std::array<uint64_t, 4> data; // for emulation failures: flags, instruction length, bytes
};
struct FailEntry {
    uint64_t reason;
};
struct Unknown {
    uint32_t exit_reason;
};

using VcpuExit = std::variant<IoIn, IoOut, MmioRead, MmioWrite, Hlt, Shutdown, SystemEvent,
                              Interrupted, InternalError, FailEntry, Unknown>;

} // namespace hyper::kvm
