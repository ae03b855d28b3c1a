#include "image/sha256.hpp"

#include <doctest/doctest.h>
#include <string>

using namespace hyper::image;

namespace {
std::string digest_of(const std::string& s) {
    Sha256 h;
    h.update(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
    return h.finish_digest();
}
} // namespace

TEST_CASE("sha256: FIPS 180 test vectors") {
    CHECK(digest_of("") ==
          "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(digest_of("abc") ==
          "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(digest_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(digest_of(std::string(1000000, 'a')) ==
          "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: pieces of any size give the same digest") {
    std::string text(1000, 'x');
    for (size_t i = 0; i < text.size(); i++)
        text[i] = static_cast<char>(i * 7);
    std::string whole = digest_of(text);
    for (size_t step : {1, 3, 63, 64, 65, 500}) {
        Sha256 h;
        for (size_t pos = 0; pos < text.size(); pos += step)
            h.update(std::span(reinterpret_cast<const uint8_t*>(text.data()) + pos,
                               std::min(step, text.size() - pos)));
        CHECK(h.finish_digest() == whole);
    }
}

TEST_CASE("sha256: only sha256:<64 lowercase hex> is a digest") {
    CHECK(is_sha256_digest("sha256:" + std::string(64, 'a')));
    CHECK_FALSE(is_sha256_digest("sha256:" + std::string(63, 'a')));
    CHECK_FALSE(is_sha256_digest("sha256:" + std::string(64, 'A')));
    CHECK_FALSE(is_sha256_digest("sha256:../../../../etc/passwd" + std::string(36, 'a')));
    CHECK_FALSE(is_sha256_digest("sha512:" + std::string(64, 'a')));
}
