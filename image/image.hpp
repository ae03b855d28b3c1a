#pragma once
// Container images as VM root file systems: the entry points `vmm run` and `vmm image`
// use. An image's root file system becomes a newc cpio, cached by the image digest:
//   ${XDG_CACHE_HOME:-$HOME/.cache}/hyper/images/<hex>.cpio   (+ <hex>.json, its config)
// Both files are written to temporary names and renamed into place, the cpio last, so a
// cache entry is whole or absent; a failed conversion leaves nothing behind.
#include <string>

#include "base/result.hpp"
#include "image/image_config.hpp"
#include "image/rootfs.hpp"

namespace hyper::image {

enum class ImageKind { Aci, Oci };

struct ImageRef {
    ImageKind kind{ImageKind::Aci};
    std::string path; // the ACI file or the OCI layout directory
    std::string tag;  // OCI: the ref name to run, empty for the only image
};

// IMAGE as written on the command line: FILE (an ACI), DIR, DIR:TAG or oci:DIR[:TAG]
// (an OCI image layout). A path that does not exist: ExitCode::NoInput.
Result<ImageRef> parse_image_ref(const std::string& text);

// ${XDG_CACHE_HOME:-$HOME/.cache}/hyper/images
Result<std::string> default_cache_dir();

struct PreparedImage {
    ImageConfig config;
    std::string cpio_path; // the image's root file system, in the cache
    bool from_cache{false};
    double convert_seconds{0}; // 0 when it came from the cache
    RootfsStats stats;
};

// The image's root file system as a cached cpio: found by digest, or converted now.
Result<PreparedImage> prepare_image(const ImageRef& ref, const std::string& cache_dir,
                                    const RootfsLimits& limits = {});

// The image's configuration, checked (every entry of an ACI is read), without converting.
Result<ImageConfig> inspect_image(const ImageRef& ref);

} // namespace hyper::image
