#include "arch/x86_64/acpi/aml.hpp"

#include <string>

namespace hyper::x86::acpi::aml {

namespace {
constexpr uint8_t k_zero_op = 0x00, k_one_op = 0x01, k_ones_op = 0xff;
constexpr uint8_t k_byte_prefix = 0x0a, k_word_prefix = 0x0b, k_dword_prefix = 0x0c,
                  k_string_prefix = 0x0d, k_qword_prefix = 0x0e;
constexpr uint8_t k_name_op = 0x08, k_scope_op = 0x10, k_buffer_op = 0x11, k_package_op = 0x12,
                  k_method_op = 0x14, k_return_op = 0xa4;
constexpr uint8_t k_ext_op_prefix = 0x5b, k_device_op = 0x82;
constexpr uint8_t k_root_char = '\\', k_dual_name_prefix = 0x2e, k_multi_name_prefix = 0x2f;
constexpr size_t k_max_pkg_length = (size_t{1} << 28) - 1;

void put_le(Bytes& out, uint64_t value, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i)
        out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

bool lead_char(char c) {
    return (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) {
    return lead_char(c) || (c >= '0' && c <= '9');
}

// op bytes, PkgLength, then the parts.
Result<Bytes> with_pkg_length(std::initializer_list<uint8_t> op,
                              std::initializer_list<std::span<const uint8_t>> parts) {
    size_t content = 0;
    for (auto p : parts)
        content += p.size();
    Bytes out(op);
    auto length = TRY(pkg_length(content));
    out.insert(out.end(), length.begin(), length.end());
    for (auto p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}
} // namespace

Bytes concat(std::initializer_list<std::span<const uint8_t>> parts) {
    Bytes out;
    for (auto p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

Result<Bytes> pkg_length(size_t content) {
    if (content + 1 <= 0x3f)
        return Bytes{static_cast<uint8_t>(content + 1)};
    for (unsigned extra = 1; extra <= 3; ++extra) {
        size_t total = content + 1 + extra;
        if (total > k_max_pkg_length || total >= (size_t{1} << (4 + 8 * extra)))
            continue;
        Bytes out{static_cast<uint8_t>((extra << 6) | (total & 0x0f))};
        put_le(out, total >> 4, extra);
        return out;
    }
    return fail(ExitCode::Internal, "AML object too large: " + std::to_string(content) + " bytes");
}

Result<Bytes> name_string(std::string_view path) {
    Bytes out;
    if (!path.empty() && path.front() == '\\') {
        out.push_back(k_root_char);
        path.remove_prefix(1);
    }
    std::vector<std::string_view> segs;
    for (bool more = !path.empty(); more;) {
        size_t dot = path.find('.');
        segs.push_back(path.substr(0, dot));
        more = dot != std::string_view::npos; // "A." ends in an empty segment
        path = more ? path.substr(dot + 1) : std::string_view{};
    }
    if (segs.empty() || segs.size() > 255)
        return fail(ExitCode::Internal, "AML name with no or too many segments");
    if (segs.size() == 2)
        out.push_back(k_dual_name_prefix);
    else if (segs.size() > 2)
        out.insert(out.end(), {k_multi_name_prefix, static_cast<uint8_t>(segs.size())});
    for (auto seg : segs) {
        bool ok = !seg.empty() && seg.size() <= 4 && lead_char(seg[0]);
        for (char c : seg)
            ok = ok && name_char(c);
        if (!ok)
            return fail(ExitCode::Internal, "bad AML name segment '" + std::string(seg) + "'");
        out.insert(out.end(), seg.begin(), seg.end());
        out.insert(out.end(), 4 - seg.size(), '_');
    }
    return out;
}

Bytes integer(uint64_t value) {
    if (value == 0)
        return {k_zero_op};
    if (value == 1)
        return {k_one_op};
    if (value == ~uint64_t{0})
        return {k_ones_op};
    Bytes out;
    if (value <= 0xff) {
        out.push_back(k_byte_prefix);
        put_le(out, value, 1);
    } else if (value <= 0xffff) {
        out.push_back(k_word_prefix);
        put_le(out, value, 2);
    } else if (value <= 0xffffffff) {
        out.push_back(k_dword_prefix);
        put_le(out, value, 4);
    } else {
        out.push_back(k_qword_prefix);
        put_le(out, value, 8);
    }
    return out;
}

Result<Bytes> string(std::string_view text) {
    Bytes out{k_string_prefix};
    for (char c : text) {
        if (c < 0x20 || c > 0x7e)
            return fail(ExitCode::Internal, "AML strings are printable ASCII");
        out.push_back(static_cast<uint8_t>(c));
    }
    out.push_back(0);
    return out;
}

Result<Bytes> buffer(std::span<const uint8_t> bytes) {
    auto size = integer(bytes.size());
    return with_pkg_length({k_buffer_op}, {size, bytes});
}

Result<Bytes> package(std::span<const Bytes> elements) {
    if (elements.size() > 255)
        return fail(ExitCode::Internal, "AML package of more than 255 elements");
    Bytes body{static_cast<uint8_t>(elements.size())};
    for (const auto& e : elements)
        body.insert(body.end(), e.begin(), e.end());
    return with_pkg_length({k_package_op}, {body});
}

Result<Bytes> eisa_id(std::string_view id) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    bool ok = id.size() == 7;
    for (size_t i = 0; ok && i < 3; ++i)
        ok = id[i] >= 'A' && id[i] <= 'Z';
    for (size_t i = 3; ok && i < 7; ++i)
        ok = hex(id[i]) >= 0;
    if (!ok)
        return fail(ExitCode::Internal, "bad EISA id '" + std::string(id) + "'");
    // Big-endian: three 5-bit letters ('A' = 1), then four nibbles.
    uint32_t v =
        static_cast<uint32_t>((id[0] - '@') << 26 | (id[1] - '@') << 21 | (id[2] - '@') << 16 |
                              hex(id[3]) << 12 | hex(id[4]) << 8 | hex(id[5]) << 4 | hex(id[6]));
    uint32_t swapped = (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
    Bytes out{k_dword_prefix};
    put_le(out, swapped, 4);
    return out;
}

Result<Bytes> name(std::string_view path, std::span<const uint8_t> value) {
    auto n = TRY(name_string(path));
    return concat({Bytes{k_name_op}, n, value});
}

Result<Bytes> scope(std::string_view path, std::span<const uint8_t> body) {
    auto n = TRY(name_string(path));
    return with_pkg_length({k_scope_op}, {n, body});
}

Result<Bytes> device(std::string_view path, std::span<const uint8_t> body) {
    auto n = TRY(name_string(path));
    return with_pkg_length({k_ext_op_prefix, k_device_op}, {n, body});
}

Result<Bytes> method(std::string_view path, unsigned args, std::span<const uint8_t> body) {
    if (args > 7)
        return fail(ExitCode::Internal, "an AML method takes at most 7 arguments");
    auto n = TRY(name_string(path));
    Bytes flags{static_cast<uint8_t>(args)};
    return with_pkg_length({k_method_op}, {n, flags, body});
}

Bytes return_value(std::span<const uint8_t> value) {
    return concat({Bytes{k_return_op}, value});
}

Bytes memory32_fixed(uint32_t base, uint32_t length, Access access) {
    Bytes out{0x86, 0x09, 0x00, static_cast<uint8_t>(access)};
    put_le(out, base, 4);
    put_le(out, length, 4);
    return out;
}

Bytes interrupt(uint32_t gsi) {
    constexpr uint8_t k_consumer = 0x01, k_edge = 0x02;
    Bytes out{0x89, 0x06, 0x00, k_consumer | k_edge, 0x01};
    put_le(out, gsi, 4);
    return out;
}

Bytes io_port(uint16_t base, uint8_t length) {
    constexpr uint8_t k_decode16 = 0x01;
    Bytes out{0x47, k_decode16};
    put_le(out, base, 2); // minimum
    put_le(out, base, 2); // maximum
    out.push_back(0x01);  // alignment
    out.push_back(length);
    return out;
}

Bytes irq_no_flags(uint8_t irq) {
    Bytes out{0x22};
    put_le(out, irq < 16 ? uint16_t{1} << irq : 0, 2);
    return out;
}

Result<Bytes> resource_template(std::initializer_list<std::span<const uint8_t>> descriptors) {
    Bytes body = concat(descriptors);
    body.insert(body.end(), {0x79, 0x00}); // End Tag, checksum 0: "treat as valid"
    return buffer(body);
}

} // namespace hyper::x86::acpi::aml
