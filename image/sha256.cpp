#include "image/sha256.hpp"

#include <cstdlib>
#include <openssl/evp.h>

namespace hyper::image {

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const {
    EVP_MD_CTX_free(ctx);
}

// Allocation or initialisation of a SHA-256 context fails only when the process is out
// of memory: no way to go on.
Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
    if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1)
        std::abort();
}

void Sha256::update(std::span<const uint8_t> data) {
    if (EVP_DigestUpdate(m_ctx.get(), data.data(), data.size()) != 1)
        std::abort();
}

std::array<uint8_t, 32> Sha256::finish() {
    std::array<uint8_t, 32> out{};
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(m_ctx.get(), out.data(), &n) != 1 || n != out.size())
        std::abort();
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
