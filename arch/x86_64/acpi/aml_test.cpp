#include "arch/x86_64/acpi/aml.hpp"

#include <doctest/doctest.h>

using namespace hyper::x86::acpi;
using aml::Bytes;

namespace {
Bytes b(std::initializer_list<int> v) {
    Bytes out;
    for (int x : v)
        out.push_back(static_cast<uint8_t>(x));
    return out;
}
Bytes s(const char* text) {
    return Bytes(text, text + std::char_traits<char>::length(text));
}
} // namespace

TEST_CASE("aml: integers take the shortest encoding") {
    CHECK(aml::integer(0) == b({0x00}));
    CHECK(aml::integer(1) == b({0x01}));
    CHECK(aml::integer(~uint64_t{0}) == b({0xff}));
    CHECK(aml::integer(0x0f) == b({0x0a, 0x0f}));
    CHECK(aml::integer(0x3f8) == b({0x0b, 0xf8, 0x03}));
    CHECK(aml::integer(0xd0000000) == b({0x0c, 0x00, 0x00, 0x00, 0xd0}));
    CHECK(aml::integer(uint64_t{1} << 32) == b({0x0e, 0, 0, 0, 0, 1, 0, 0, 0}));
}

TEST_CASE("aml: PkgLength counts itself and grows at 63 and 4095 bytes") {
    CHECK(aml::pkg_length(0).value() == b({0x01}));
    CHECK(aml::pkg_length(0x3e).value() == b({0x3f}));
    CHECK(aml::pkg_length(0x3f).value() == b({0x41, 0x04})); // 0x41 in all
    CHECK(aml::pkg_length(4093).value() == b({0x4f, 0xff})); // 0xfff in all
    CHECK(aml::pkg_length(4094).value() == b({0x81, 0x00, 0x01}));
    CHECK(!aml::pkg_length(size_t{1} << 28));
}

TEST_CASE("aml: name strings") {
    CHECK(aml::name_string("_SB").value() == s("_SB_"));
    CHECK(aml::name_string("\\_SB.COM1").value() ==
          b({'\\', 0x2e, '_', 'S', 'B', '_', 'C', 'O', 'M', '1'}));
    CHECK(aml::name_string("\\A.B.C").value() ==
          b({'\\', 0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_'}));
    CHECK(!aml::name_string(""));
    CHECK(!aml::name_string("1ABC"));
    CHECK(!aml::name_string("ABCDE"));
    CHECK(!aml::name_string("com1"));
    CHECK(!aml::name_string("\\_SB..X"));
    CHECK(!aml::name_string("\\_SB."));
}

TEST_CASE("aml: strings, EISA ids, buffers, packages") {
    CHECK(aml::string("LNRO0005").value() == b({0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0}));
    CHECK(!aml::string("a\nb"));
    CHECK(aml::eisa_id("PNP0501").value() == b({0x0c, 0x41, 0xd0, 0x05, 0x01})); // 0x0105d041
    CHECK(!aml::eisa_id("pnp0501"));
    CHECK(!aml::eisa_id("PNP050"));
    CHECK(aml::buffer(b({1, 2, 3})).value() == b({0x11, 0x06, 0x0a, 0x03, 1, 2, 3}));
    Bytes elements[] = {aml::integer(5), aml::integer(0)};
    CHECK(aml::package(elements).value() == b({0x12, 0x05, 0x02, 0x0a, 0x05, 0x00}));
    std::vector<Bytes> many(256, aml::integer(0));
    CHECK(!aml::package(many));
}

TEST_CASE("aml: Name, Scope, Device, Method") {
    CHECK(aml::name("_UID", aml::integer(0)).value() == b({0x08, '_', 'U', 'I', 'D', 0x00}));
    CHECK(aml::scope("\\_SB", {}).value() == b({0x10, 0x06, '\\', '_', 'S', 'B', '_'}));
    CHECK(aml::device("COM1", {}).value() == b({0x5b, 0x82, 0x05, 'C', 'O', 'M', '1'}));
    CHECK(aml::method("_STA", 0, aml::return_value(aml::integer(0x0f))).value() ==
          b({0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f}));
    CHECK(!aml::method("_STA", 8, {}));
}

TEST_CASE("aml: resource descriptors and templates") {
    CHECK(aml::memory32_fixed(0xd0000000, 0x1000) ==
          b({0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x10, 0x00, 0x00}));
    CHECK(aml::interrupt(5) == b({0x89, 0x06, 0x00, 0x03, 0x01, 5, 0, 0, 0}));
    CHECK(aml::io_port(0x3f8, 8) == b({0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08}));
    CHECK(aml::irq_no_flags(4) == b({0x22, 0x10, 0x00}));
    CHECK(aml::resource_template({aml::irq_no_flags(4)}).value() ==
          b({0x11, 0x08, 0x0a, 0x05, 0x22, 0x10, 0x00, 0x79, 0x00}));
}
