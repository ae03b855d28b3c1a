// Target "image_json": the JSON an image brings (image/aci_manifest.cpp, image/oci_layout.cpp's
// image config) and the cached config beside a converted image (image/image_config.cpp).
//
// Input: 1 selector byte, then the text.
//   0: an ACI manifest   1: an OCI image config   2: a cached config (config_from_json)
//   3: an ImageConfig whose strings are raw input bytes (as a name from the command line
//      may be), written with config_to_json
// Checks: no exception escapes; whatever parsed is written by config_to_json and reads
// back (config_from_json) to the same text.
#include <string>

#include "image/aci_manifest.hpp"
#include "image/image_config.hpp"
#include "image/oci_layout.hpp"
#include "tests/fuzz/targets.hpp"

namespace hyper::fuzz {

namespace {

void round_trip(const image::ImageConfig& config) {
    std::string text = image::config_to_json(config);
    auto back = image::config_from_json(text);
    check(back.has_value(), "image_json: config_to_json output does not read back");
    check(image::config_to_json(*back) == text, "image_json: config changed on the round trip");
    (void)image::describe(*back);
}

} // namespace

int image_json(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 4) {
    case 0:
        if (auto c = image::parse_aci_manifest(text))
            round_trip(*c);
        break;
    case 1:
        if (auto c = image::parse_oci_config(text))
            round_trip(*c);
        break;
    case 2:
        if (auto c = image::config_from_json(text))
            round_trip(*c);
        break;
    default: {
        image::ImageConfig c;
        c.kind = "oci";
        c.name = text;
        c.user = text.substr(0, text.size() / 2);
        c.exec = {"/bin/sh", text};
        c.env = {"A=" + text};
        auto back = image::config_from_json(image::config_to_json(c));
        check(back.has_value(), "image_json: config_to_json output does not read back");
        (void)image::describe(c);
        break;
    }
    }
    return 0;
}

} // namespace hyper::fuzz
