// Replays every file of tests/fuzz/corpus/<target>/ through that target's entry point, so
// the crashes the fuzzers found (and the seeds) stay fixed in the plain unit tests.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_corpus_dir.hpp"
#include "tests/fuzz/targets.hpp"

namespace fs = std::filesystem;

TEST_CASE("fuzz corpus: every input replays through its target without a crash") {
    fs::path root = HYPER_FUZZ_CORPUS_DIR;
    REQUIRE(fs::is_directory(root));
    for (const auto& target : hyper::fuzz::k_targets) {
        fs::path dir = root / target.name;
        CAPTURE(dir.string());
        REQUIRE(fs::is_directory(dir));
        size_t files = 0;
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (!entry.is_regular_file())
                continue;
            CAPTURE(entry.path().string());
            std::ifstream in(entry.path(), std::ios::binary);
            std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
            CHECK(target.entry(bytes.data(), bytes.size()) == 0);
            files++;
        }
        CHECK(files > 0);
    }
}
