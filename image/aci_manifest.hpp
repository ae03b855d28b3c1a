#pragma once
// The appc image manifest (spec/aci.md, spec/types.md): parsed, validated and turned into
// an ImageConfig. Errors are ExitCode::BadImage with a message naming the field.
#include <string>

#include "base/result.hpp"
#include "image/image_config.hpp"

namespace hyper::image {

Result<ImageConfig> parse_aci_manifest(const std::string& text);

// appc AC Name: lowercase letters, digits and -._~/ , starting and ending alphanumeric.
bool is_ac_name(const std::string& name);

// A resource quantity ("512M", "1Gi", "500m", "2") in units of `unit` (1 for CPUs, 2^20
// for MiB), rounded up; nullopt when it does not parse.
std::optional<uint64_t> parse_quantity(const std::string& text, uint64_t unit);

} // namespace hyper::image
