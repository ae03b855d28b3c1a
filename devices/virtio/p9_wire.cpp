#include "devices/virtio/p9_wire.hpp"

namespace hyper::p9 {

uint64_t Reader::read_le(size_t n) {
    if (!m_ok || remaining() < n) {
        m_ok = false;
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= uint64_t{m_data[m_pos + i]} << (8 * i);
    m_pos += n;
    return v;
}

std::span<const uint8_t> Reader::bytes(size_t n) {
    if (!m_ok || remaining() < n) {
        m_ok = false;
        return {};
    }
    auto out = m_data.subspan(m_pos, n);
    m_pos += n;
    return out;
}

std::string_view Reader::str() {
    uint16_t len = u16();
    auto b = bytes(len);
    if (!m_ok)
        return {};
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

void Writer::put_le(uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++)
        m_out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void Writer::begin(uint8_t type, uint16_t tag) {
    m_out.clear();
    u32(0);
    u8(type);
    u16(tag);
}

void Writer::finish() {
    auto size = static_cast<uint32_t>(m_out.size());
    for (size_t i = 0; i < 4; i++)
        m_out[i] = static_cast<uint8_t>(size >> (8 * i));
}

void Writer::str(std::string_view s) {
    u16(static_cast<uint16_t>(s.size()));
    m_out.insert(m_out.end(), s.begin(), s.end());
}

void Writer::qid(const Qid& q) {
    u8(q.type);
    u32(q.version);
    u64(q.path);
}

uint8_t* Writer::reserve(size_t n) {
    size_t at = m_out.size();
    m_out.resize(at + n);
    return m_out.data() + at;
}

std::vector<uint8_t> make_error(uint16_t tag, uint32_t err) {
    std::vector<uint8_t> out;
    Writer w(out);
    w.begin(k_rlerror, tag);
    w.u32(err);
    w.finish();
    return out;
}

} // namespace hyper::p9
