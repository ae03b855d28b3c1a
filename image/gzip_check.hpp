#pragma once
// Checks a gzip stream's CRC-32 and length trailers as its bytes pass by. libarchive's gzip
// reader ignores them, so without this a corrupt ACI whose damage still inflates would be
// accepted. Handles concatenated gzip members.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/result.hpp"

namespace hyper::image {

class GzipCheck {
  public:
    GzipCheck();
    ~GzipCheck();
    GzipCheck(const GzipCheck&) = delete;
    GzipCheck& operator=(const GzipCheck&) = delete;

    static bool is_gzip(std::span<const uint8_t> start) {
        return start.size() >= 2 && start[0] == 0x1f && start[1] == 0x8b;
    }
    void update(std::span<const uint8_t> compressed);
    // After the whole file went through update(): an error (ExitCode::BadImage, naming
    // `what`) unless every member ended with matching trailers.
    Result<void> finish(const std::string& what);

  private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace hyper::image
