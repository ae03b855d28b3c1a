#pragma once
// An OCI image layout directory (what `skopeo copy ... oci:DIR:TAG` and umoci write):
// oci-layout, index.json -> (image index ->) image manifest -> config + layers, every
// JSON blob checked against its digest and size. Layers are checked as they stream.
#include <string>
#include <vector>

#include "base/result.hpp"
#include "image/image_config.hpp"
#include "image/rootfs.hpp"

namespace hyper::image {

struct OciImage {
    ImageConfig config; // config.digest: the image manifest's digest
    std::vector<Layer> layers;
};

// `tag`: the org.opencontainers.image.ref.name to run; empty picks the only image.
Result<OciImage> open_oci_layout(const std::string& dir, const std::string& tag);

// The parts of an OCI image config vmm uses (exposed for the unit tests).
Result<ImageConfig> parse_oci_config(const std::string& text);

} // namespace hyper::image
