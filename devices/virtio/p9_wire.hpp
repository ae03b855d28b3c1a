#pragma once
// 9P2000.L wire format: little-endian integers, strings as le16 length + bytes, qids as
// type[1] version[4] path[8]. The Reader never reads past the message: a field beyond
// the end (a short message, a string whose length runs past it) sets a sticky failure
// and yields zeros, so a handler checks ok() once after reading all its fields.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hyper::p9 {

// Message types (T = request, R = T + 1).
enum MessageType : uint8_t {
    k_rlerror = 7,
    k_tstatfs = 8,
    k_tlopen = 12,
    k_tlcreate = 14,
    k_tsymlink = 16,
    k_tmknod = 18,
    k_trename = 20,
    k_treadlink = 22,
    k_tgetattr = 24,
    k_tsetattr = 26,
    k_txattrwalk = 30,
    k_txattrcreate = 32,
    k_treaddir = 40,
    k_tfsync = 50,
    k_tlock = 52,
    k_tgetlock = 54,
    k_tlink = 70,
    k_tmkdir = 72,
    k_trenameat = 74,
    k_tunlinkat = 76,
    k_tversion = 100,
    k_tauth = 102,
    k_tattach = 104,
    k_tflush = 108,
    k_twalk = 110,
    k_tread = 116,
    k_twrite = 118,
    k_tclunk = 120,
    k_tremove = 122,
};

constexpr uint32_t k_header_size = 7; // size[4] type[1] tag[2]
constexpr uint32_t k_io_header_size = 24;
constexpr uint32_t k_no_fid = ~0u;
constexpr uint16_t k_no_tag = 0xffff;
constexpr uint16_t k_max_walk = 16;

constexpr uint8_t k_qid_dir = 0x80;
constexpr uint8_t k_qid_symlink = 0x02;
constexpr uint8_t k_qid_file = 0x00;

struct Qid {
    uint8_t type{0};
    uint32_t version{0};
    uint64_t path{0};
};

class Reader {
  public:
    explicit Reader(std::span<const uint8_t> data) : m_data(data) {}
    uint8_t u8() { return static_cast<uint8_t>(read_le(1)); }
    uint16_t u16() { return static_cast<uint16_t>(read_le(2)); }
    uint32_t u32() { return static_cast<uint32_t>(read_le(4)); }
    uint64_t u64() { return read_le(8); }
    // A string; its bytes stay in the message (valid while the message is).
    std::string_view str();
    // `n` raw bytes, or an empty span (and failure) when fewer remain.
    std::span<const uint8_t> bytes(size_t n);
    bool ok() const { return m_ok; }
    size_t remaining() const { return m_data.size() - m_pos; }

  private:
    uint64_t read_le(size_t n);
    std::span<const uint8_t> m_data;
    size_t m_pos{0};
    bool m_ok{true};
};

// Builds one R-message: begin() writes a placeholder header, finish() patches the size.
class Writer {
  public:
    explicit Writer(std::vector<uint8_t>& out) : m_out(out) {}
    void begin(uint8_t type, uint16_t tag);
    void finish();
    void u8(uint8_t v) { put_le(v, 1); }
    void u16(uint16_t v) { put_le(v, 2); }
    void u32(uint32_t v) { put_le(v, 4); }
    void u64(uint64_t v) { put_le(v, 8); }
    void str(std::string_view s); // callers keep s.size() <= 65535
    void qid(const Qid& q);
    void bytes(std::span<const uint8_t> b) { m_out.insert(m_out.end(), b.begin(), b.end()); }
    // Appends `n` uninitialised bytes and returns where they start (for pread).
    uint8_t* reserve(size_t n);
    size_t size() const { return m_out.size(); }
    void shrink(size_t size) { m_out.resize(size); }
    uint8_t* at(size_t offset) { return m_out.data() + offset; }

  private:
    void put_le(uint64_t v, size_t n);
    std::vector<uint8_t>& m_out;
};

// An Rlerror message for `tag` with Linux errno `err`.
std::vector<uint8_t> make_error(uint16_t tag, uint32_t err);

} // namespace hyper::p9
