#include "image/sha256.hpp"

namespace hyper::image {

Sha256::Sha256() {
    sha256_init(&m_ctx);
}

void Sha256::update(std::span<const uint8_t> data) {
    sha256_update(&m_ctx, data.size(), data.data());
}

std::array<uint8_t, 32> Sha256::finish() {
    std::array<uint8_t, 32> out{};
    sha256_digest(&m_ctx, out.size(), out.data());
    return out;
}

std::string Sha256::finish_digest() {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string text = "sha256:";
    for (uint8_t b : finish()) {
        text += k_hex[b >> 4];
        text += k_hex[b & 15];
    }
    return text;
}

bool is_sha256_digest(const std::string& digest) {
    if (digest.size() != 7 + 64 || digest.compare(0, 7, "sha256:") != 0)
        return false;
    for (size_t i = 7; i < digest.size(); i++) {
        char c = digest[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

} // namespace hyper::image
