#pragma once
// SHA-256, incremental (Nettle, linked statically: a few KiB of code, no library to load): image
// digests are computed while the bytes stream past, so no image file or layer is ever held in
// memory to be hashed.
#include <array>
#include <cstdint>
#include <span>
#include <string>

#include <nettle/sha2.h>

namespace hyper::image {

class Sha256 {
  public:
    Sha256();
    void update(std::span<const uint8_t> data);
    // Finishes the hash; the object must not be updated afterwards.
    std::array<uint8_t, 32> finish();
    // "sha256:" followed by 64 lowercase hex digits.
    std::string finish_digest();

  private:
    sha256_ctx m_ctx{};
};

// True for "sha256:" + 64 lowercase hex digits, the only digests vmm accepts (a digest
// names a file under blobs/, so anything else could name a path outside it).
bool is_sha256_digest(const std::string& digest);

} // namespace hyper::image
