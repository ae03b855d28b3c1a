#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/targets.hpp"

namespace hyper::fuzz {

void fail(const char* what) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
}

} // namespace hyper::fuzz
