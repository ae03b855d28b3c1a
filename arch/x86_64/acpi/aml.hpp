#pragma once
// A small encoder for the ACPI Machine Language (ACPI 6.5, chapter 20): just what a
// DSDT describing a few fixed devices needs. Every function returns the encoded bytes;
// the ones that can meet a bad name or an oversized object return a Result.
//
//   auto crs = resource_template({memory32_fixed(0xd0000000, 0x1000), interrupt(5)});
//   auto dev = TRY(device("V000", concat({TRY(name("_HID", string("LNRO0005"))),
//                                         TRY(name("_CRS", crs))})));
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace hyper::x86::acpi::aml {

using Bytes = std::vector<uint8_t>;

Bytes concat(std::initializer_list<std::span<const uint8_t>> parts);

// PkgLength (20.2.4) for `content` bytes that follow it; the encoding counts itself.
Result<Bytes> pkg_length(size_t content);

// A NameString: "\" for the root, then segments of 1-4 characters ([A-Z_][A-Z0-9_]*)
// separated by dots, each padded with '_' to four: "_SB", "\_SB.V000", "^PCI0" is not
// supported (no parent prefixes).
Result<Bytes> name_string(std::string_view path);

// The shortest integer encoding: Zero, One, Ones (all 64 bits set), then byte, word,
// dword, qword constants.
Bytes integer(uint64_t value);
// A String object: printable ASCII only, NUL-terminated in the encoding.
Result<Bytes> string(std::string_view text);
// A Buffer object of these bytes.
Result<Bytes> buffer(std::span<const uint8_t> bytes);
// A Package of at most 255 already-encoded elements.
Result<Bytes> package(std::span<const Bytes> elements);
// The 32-bit compressed EISA id of "PNP0501"-style ids (3 letters, 4 hex digits).
Result<Bytes> eisa_id(std::string_view id);

Result<Bytes> name(std::string_view path, std::span<const uint8_t> value);
Result<Bytes> scope(std::string_view path, std::span<const uint8_t> body);
Result<Bytes> device(std::string_view path, std::span<const uint8_t> body);
// A Method of 0-7 arguments, not serialized, sync level 0.
Result<Bytes> method(std::string_view path, unsigned args, std::span<const uint8_t> body);
Bytes return_value(std::span<const uint8_t> value);

// Resource descriptors (6.4) for a _CRS ResourceTemplate.
enum class Access : uint8_t { ReadOnly = 0, ReadWrite = 1 };
Bytes memory32_fixed(uint32_t base, uint32_t length, Access access = Access::ReadWrite);
// An Extended Interrupt descriptor for one GSI: resource consumer, edge-triggered,
// active-high, exclusive (what an irqfd delivers).
Bytes interrupt(uint32_t gsi);
// An I/O port range with 16-bit decode at a fixed base.
Bytes io_port(uint16_t base, uint8_t length);
// An IRQ descriptor without flags (ISA: edge, active-high) for one of IRQs 0-15.
Bytes irq_no_flags(uint8_t irq);
// The descriptors and an End Tag, as a Buffer object.
Result<Bytes> resource_template(std::initializer_list<std::span<const uint8_t>> descriptors);

} // namespace hyper::x86::acpi::aml
