// One libFuzzer binary: HYPER_FUZZ_ENTRY names the target (tests/fuzz/meson.build).
#include "tests/fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return hyper::fuzz::HYPER_FUZZ_ENTRY(data, size);
}
