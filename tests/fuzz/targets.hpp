#pragma once
// The fuzz targets' entry points. Each takes one input, drives the code the VMM runs on it
// and returns 0; a broken invariant aborts. tests/fuzz/fuzz_main.cpp turns one of them
// into a libFuzzer binary (-Dfuzz=true); corpus_test.cpp replays tests/fuzz/corpus/<name>/*
// through them in the plain unit tests.
#include <cstddef>
#include <cstdint>
#include <span>

namespace hyper::fuzz {

using Entry = int (*)(const uint8_t* data, size_t size);

int queue(const uint8_t* data, size_t size);
int p9(const uint8_t* data, size_t size);
int blk(const uint8_t* data, size_t size);
int kernel(const uint8_t* data, size_t size);
int cli(const uint8_t* data, size_t size);
int vsock(const uint8_t* data, size_t size);
int vsock_worker(const uint8_t* data, size_t size);
int net(const uint8_t* data, size_t size);
int image(const uint8_t* data, size_t size);
int image_json(const uint8_t* data, size_t size);

struct Target {
    const char* name; // the binary (fuzz_<name>) and the corpus folder
    Entry entry;
};

inline constexpr Target k_targets[] = {
    {"queue", queue},
    {"p9", p9},
    {"blk", blk},
    {"kernel", kernel},
    {"cli", cli},
    {"vsock", vsock},
    {"vsock_worker", vsock_worker},
    {"net", net},
    {"image", image},
    {"image_json", image_json},
};

// Aborts with a message naming the broken invariant (a crash libFuzzer records).
[[noreturn]] void fail(const char* what);
inline void check(bool ok, const char* what) {
    if (!ok)
        fail(what);
}

} // namespace hyper::fuzz
