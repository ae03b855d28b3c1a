#pragma once
// The boot GDT and the segments loaded from it. Linux's 64-bit boot protocol wants flat
// segments at __BOOT_CS = 0x10 and __BOOT_DS = 0x18; PVH enters through a 32-bit code
// segment. Both modes need a valid busy TSS in TR.
//
//   0x00 null   0x08 null   0x10 code64   0x18 data (flat, 32-bit)
//   0x20 code32 (flat)      0x28 TSS (16-byte system descriptor, at k_tss_addr)
#include <array>
#include <cstdint>

#include "base/guest_memory.hpp"
#include "base/result.hpp"
#include "kvm/x86_state.hpp"

namespace hyper::x86 {

inline constexpr uint16_t k_code64_selector = 0x10;
inline constexpr uint16_t k_data_selector = 0x18;
inline constexpr uint16_t k_code32_selector = 0x20;
inline constexpr uint16_t k_tss_selector = 0x28;
inline constexpr size_t k_gdt_entries = 7; // the TSS takes two
inline constexpr uint16_t k_gdt_limit = k_gdt_entries * 8 - 1;
inline constexpr uint16_t k_idt_limit = 7;

// Encodes a segment as a GDT descriptor (the low 8 bytes for a system segment). The
// limit is the byte limit as KVM wants it; with g it must end in 0xfff.
uint64_t encode_descriptor(const Segment& seg);
// The inverse, for descriptors in the low 4 GiB; the selector is left 0.
Segment decode_descriptor(uint64_t descriptor);

Segment code64_segment();
Segment code32_segment();
Segment data_segment();
Segment tss_segment();

std::array<uint64_t, k_gdt_entries> gdt_entries();

// Writes the GDT at k_gdt_addr, an empty IDT at k_idt_addr and a zeroed TSS at k_tss_addr.
Result<void> write_gdt(const GuestMemory& mem);

} // namespace hyper::x86
