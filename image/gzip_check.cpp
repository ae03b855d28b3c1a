#include "image/gzip_check.hpp"

#include <zlib.h>

namespace hyper::image {

struct GzipCheck::State {
    z_stream stream{};
    bool open{false};
    bool in_member{false}; // inside a member whose end was not seen yet
    std::string error;
    uint8_t out[64 * 1024];
};

GzipCheck::GzipCheck() : m_state(std::make_unique<State>()) {
    // 15 + 16: a gzip wrapper, whose CRC-32 and length zlib checks at the member's end
    m_state->open = inflateInit2(&m_state->stream, 15 + 16) == Z_OK;
    if (!m_state->open)
        m_state->error = "zlib could not start";
}

GzipCheck::~GzipCheck() {
    if (m_state->open)
        inflateEnd(&m_state->stream);
}

void GzipCheck::update(std::span<const uint8_t> compressed) {
    State& s = *m_state;
    s.stream.next_in = const_cast<Bytef*>(compressed.data());
    s.stream.avail_in = static_cast<uInt>(compressed.size());
    while (s.error.empty() && s.stream.avail_in > 0) {
        if (!s.in_member && s.stream.avail_in > 0 && s.stream.next_in[0] == 0) {
            // zero padding after the last member (as tar writers add): not a member
            s.stream.next_in++;
            s.stream.avail_in--;
            continue;
        }
        s.in_member = true;
        s.stream.next_out = s.out;
        s.stream.avail_out = sizeof s.out;
        int r = inflate(&s.stream, Z_NO_FLUSH);
        if (r == Z_STREAM_END) {
            s.in_member = false;
            inflateReset(&s.stream); // another member may follow
        } else if (r != Z_OK && r != Z_BUF_ERROR) {
            s.error = s.stream.msg ? s.stream.msg : "invalid gzip data";
        }
    }
}

Result<void> GzipCheck::finish(const std::string& what) {
    if (!m_state->error.empty())
        return fail(ExitCode::BadImage, what + ": corrupt gzip data: " + m_state->error);
    if (m_state->in_member)
        return fail(ExitCode::BadImage, what + ": truncated gzip data (no end of stream)");
    return {};
}

} // namespace hyper::image
