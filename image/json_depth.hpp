#pragma once
// A limit on how deeply the JSON an image brings may nest, checked before nlohmann parses
// it: nlohmann's parser keeps its own stack, but copying, comparing and dump() recurse once
// per level, so a manifest of a million "[" would overflow the thread's stack.
#include <string_view>

namespace hyper::image {

inline constexpr int k_max_json_depth = 128; // real manifests and configs nest < 10 deep

// Whether the arrays and objects of `text` nest at most `max_depth` deep (brackets inside
// strings do not count). Says nothing about whether `text` is valid JSON.
bool json_depth_ok(std::string_view text, int max_depth = k_max_json_depth);

} // namespace hyper::image
