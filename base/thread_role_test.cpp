#include <doctest/doctest.h>
#include <pthread.h>
#include <thread>

#include "base/thread_role.hpp"

using namespace hyper;

TEST_CASE("threads created after use_small_thread_stacks() get the small stack") {
    REQUIRE(use_small_thread_stacks());
    size_t size = 0;
    std::thread([&size] {
        pthread_attr_t attr;
        if (::pthread_getattr_np(::pthread_self(), &attr) == 0) {
            ::pthread_attr_getstacksize(&attr, &size);
            ::pthread_attr_destroy(&attr);
        }
    }).join();
    CHECK(size >= k_thread_stack_size);
    CHECK(size < (size_t{2} << 20)); // no room for a transparent huge page
}
