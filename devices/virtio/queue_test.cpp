#include "devices/virtio/queue.hpp"

#include <doctest/doctest.h>

#include "devices/virtio/testing/fake_driver.hpp"

using namespace hyper;
using namespace hyper::virtio;
using namespace hyper::virtio::testing;

namespace {

constexpr uint64_t k_mem_size = 1 << 20;
constexpr uint64_t k_data = 0x80000;  // buffers live here
constexpr uint64_t k_table = 0x40000; // indirect tables live here

struct Rig {
    explicit Rig(uint16_t size = 8, bool event_idx = false, bool indirect = true)
        : mem(make_memory(k_mem_size)), drv(mem, size, 0x1000), queue(size) {
        drv.configure(queue, event_idx, indirect);
        REQUIRE(queue.valid(mem));
    }
    DescriptorChain pop_one() {
        auto chain = queue.pop(mem);
        REQUIRE(chain);
        return *chain;
    }
    ChainError pop_error() { return pop_one().error; }
    GuestMemory mem;
    FakeDriver drv;
    Queue queue;
};

} // namespace

TEST_CASE("Queue pops a direct chain, copies it and publishes used entries") {
    Rig r;
    Buffer bufs[] = {{k_data, 16, false}, {k_data + 0x100, 512, false}, {k_data + 0x400, 1, true}};
    uint16_t head = r.drv.add_chain(bufs);
    auto chain = r.pop_one();
    CHECK(chain.ok());
    CHECK(chain.head == head);
    REQUIRE(chain.descriptors.size() == 3);
    CHECK(chain.descriptors[1].addr.value() == k_data + 0x100);
    CHECK(chain.descriptors[1].len == 512);
    CHECK_FALSE(chain.descriptors[1].writable);
    CHECK(chain.descriptors[2].writable);
    CHECK(chain.readable_bytes() == 528);
    CHECK(chain.writable_bytes() == 1);
    // The copy is ours: the guest rewriting the table changes nothing.
    r.drv.write_desc(head, 0xdead0000, 7, 0);
    CHECK(chain.descriptors[0].addr.value() == k_data);
    CHECK_FALSE(r.queue.pop(r.mem));

    CHECK(r.drv.used_idx() == 0);
    CHECK(r.queue.add_used(r.mem, chain.head, 1));
    CHECK(r.drv.used_idx() == 1);
    CHECK(r.drv.used(0).id == head);
    CHECK(r.drv.used(0).len == 1);
}

TEST_CASE("Queue follows an indirect table and refuses it when not negotiated") {
    Buffer bufs[] = {
        {k_data, 16, false}, {k_data + 0x1000, 4096, true}, {k_data + 0x2000, 1, true}};
    {
        Rig r;
        r.drv.add_indirect(k_table, bufs);
        auto chain = r.pop_one();
        CHECK(chain.ok());
        REQUIRE(chain.descriptors.size() == 3);
        CHECK(chain.descriptors[1].len == 4096);
        CHECK(chain.writable_bytes() == 4097);
    }
    {
        Rig r(8, false, /*indirect=*/false);
        r.drv.add_indirect(k_table, bufs);
        CHECK(r.pop_error() == ChainError::IndirectNotNegotiated);
    }
}

TEST_CASE("Queue refuses loops and chains longer than the queue") {
    Rig r(4);
    SUBCASE("two descriptors pointing at each other") {
        r.drv.write_desc(0, k_data, 8, k_desc_f_next, 1);
        r.drv.write_desc(1, k_data, 8, k_desc_f_next, 0);
    }
    SUBCASE("a descriptor pointing at itself") {
        r.drv.write_desc(0, k_data, 8, k_desc_f_next, 0);
    }
    SUBCASE("a loop inside an indirect table") {
        r.drv.write_desc(0, k_table, 32, k_desc_f_indirect);
        r.drv.write_desc_at(k_table, 0, k_data, 8, k_desc_f_next, 1);
        r.drv.write_desc_at(k_table, 1, k_data, 8, k_desc_f_next, 0);
    }
    r.drv.publish(0);
    auto chain = r.pop_one();
    CHECK(chain.error == ChainError::TooLong);
    CHECK(chain.descriptors.empty());
    CHECK(std::string(to_string(chain.error)).find("loop") != std::string::npos);
    // The queue itself is fine: the chain is completed and the next one works.
    CHECK_FALSE(r.queue.broken());
    CHECK(r.queue.add_used(r.mem, chain.head, 0));
}

TEST_CASE("Queue accepts a chain exactly as long as the queue") {
    Rig r(4);
    for (uint16_t i = 0; i < 4; i++)
        r.drv.write_desc(i, k_data + 16 * i, 16, i < 3 ? k_desc_f_next : 0, i + 1);
    r.drv.publish(0);
    auto chain = r.pop_one();
    CHECK(chain.ok());
    CHECK(chain.descriptors.size() == 4);
}

TEST_CASE("Queue refuses NEXT indices outside the table") {
    Rig r(4);
    SUBCASE("direct") {
        r.drv.write_desc(0, k_data, 8, k_desc_f_next, 4);
    }
    SUBCASE("indirect") {
        r.drv.write_desc(0, k_table, 32, k_desc_f_indirect);
        r.drv.write_desc_at(k_table, 0, k_data, 8, k_desc_f_next, 2);
    }
    r.drv.publish(0);
    CHECK(r.pop_error() == ChainError::NextOutOfRange);
}

TEST_CASE("Queue refuses buffers outside guest memory, wrap-around at 2^64 included") {
    Rig r;
    uint64_t addr = 0;
    uint32_t len = 0;
    SUBCASE("beyond the end") {
        addr = k_mem_size;
        len = 1;
    }
    SUBCASE("crossing the end") {
        addr = k_mem_size - 8;
        len = 16;
    }
    SUBCASE("wrapping around 2^64") {
        addr = UINT64_MAX - 7;
        len = 32;
    }
    SUBCASE("huge length") {
        addr = 0;
        len = UINT32_MAX;
    }
    Buffer bufs[] = {{k_data, 16, false}, {addr, len, true}};
    r.drv.add_chain(bufs);
    CHECK(r.pop_error() == ChainError::BufferOutOfMemory);
}

TEST_CASE("Queue drops zero-length descriptors without looking at their address") {
    Rig r;
    Buffer bufs[] = {{k_data, 16, false}, {UINT64_MAX, 0, false}, {k_data + 64, 1, true}};
    r.drv.add_chain(bufs);
    auto chain = r.pop_one();
    CHECK(chain.ok());
    CHECK(chain.descriptors.size() == 2);
}

TEST_CASE("Queue refuses a readable buffer after a writable one") {
    Rig r;
    SUBCASE("direct") {
        Buffer bufs[] = {{k_data, 16, true}, {k_data + 64, 16, false}};
        r.drv.add_chain(bufs);
    }
    SUBCASE("indirect") {
        Buffer bufs[] = {{k_data, 16, true}, {k_data + 64, 16, false}};
        r.drv.add_indirect(k_table, bufs);
    }
    CHECK(r.pop_error() == ChainError::ReadableAfterWritable);
}

TEST_CASE("Queue refuses malformed indirect descriptors") {
    Rig r;
    ChainError expected = ChainError::None;
    SUBCASE("nested indirect") {
        r.drv.write_desc(0, k_table, 32, k_desc_f_indirect);
        r.drv.write_desc_at(k_table, 0, k_data, 8, k_desc_f_next, 1);
        r.drv.write_desc_at(k_table, 1, k_table + 0x100, 16, k_desc_f_indirect);
        expected = ChainError::IndirectNested;
    }
    SUBCASE("length not a multiple of 16") {
        r.drv.write_desc(0, k_table, 24, k_desc_f_indirect);
        expected = ChainError::IndirectBadLength;
    }
    SUBCASE("length 0") {
        r.drv.write_desc(0, k_table, 0, k_desc_f_indirect);
        expected = ChainError::IndirectBadLength;
    }
    SUBCASE("more entries than the queue's maximum") {
        r.drv.write_desc(0, k_table, 16 * 9, k_desc_f_indirect);
        expected = ChainError::IndirectBadLength;
    }
    SUBCASE("indirect with NEXT") {
        r.drv.write_desc(0, k_table, 16, k_desc_f_indirect | k_desc_f_next, 1);
        expected = ChainError::IndirectWithNext;
    }
    SUBCASE("table outside guest memory") {
        r.drv.write_desc(0, k_mem_size - 16, 32, k_desc_f_indirect);
        expected = ChainError::IndirectOutOfMemory;
    }
    SUBCASE("table wrapping around 2^64") {
        r.drv.write_desc(0, UINT64_MAX - 15, 32, k_desc_f_indirect);
        expected = ChainError::IndirectOutOfMemory;
    }
    r.drv.publish(0);
    CHECK(r.pop_error() == expected);
}

TEST_CASE("Queue marks itself broken when the ring itself is hostile") {
    Rig r(8);
    SUBCASE("avail idx moves by more than the queue size") {
        r.drv.set_avail_idx(9);
    }
    SUBCASE("head index out of range") {
        r.drv.publish(8);
    }
    CHECK_FALSE(r.queue.pop(r.mem));
    CHECK(r.queue.broken());
    CHECK_FALSE(r.queue.pop(r.mem));
    CHECK_FALSE(r.queue.add_used(r.mem, 0, 0));
    CHECK(r.drv.used_idx() == 0);
    r.queue.reset();
    CHECK_FALSE(r.queue.broken());
}

TEST_CASE("Queue accepts avail idx moving by exactly the queue size") {
    Rig r(4);
    Buffer bufs[] = {{k_data, 16, true}};
    for (int i = 0; i < 4; i++)
        r.drv.add_chain(bufs);
    for (int i = 0; i < 4; i++)
        CHECK(r.pop_one().ok());
    CHECK_FALSE(r.queue.pop(r.mem));
    CHECK_FALSE(r.queue.broken());
}

TEST_CASE("Queue indices wrap around 2^16") {
    Rig r(4);
    Buffer bufs[] = {{k_data, 16, true}};
    for (int i = 0; i < 70000; i++) {
        uint16_t head = r.drv.add_chain(bufs);
        auto chain = r.queue.pop(r.mem);
        REQUIRE(chain);
        REQUIRE(chain->head == head);
        REQUIRE(r.queue.add_used(r.mem, head, 16));
    }
    CHECK(r.drv.used_idx() == static_cast<uint16_t>(70000));
    CHECK_FALSE(r.queue.broken());
}

TEST_CASE("Queue checks its layout before use") {
    Rig r;
    CHECK(r.queue.valid(r.mem));
    SUBCASE("size not a power of two") {
        r.queue.set_size(6);
    }
    SUBCASE("size above the maximum") {
        r.queue.set_size(16);
    }
    SUBCASE("size 0") {
        r.queue.set_size(0);
    }
    SUBCASE("misaligned descriptor table") {
        r.queue.set_desc_table(GuestAddress(0x1008));
    }
    SUBCASE("misaligned used ring") {
        r.queue.set_used_ring(GuestAddress(0x3002));
    }
    SUBCASE("used ring past the end") {
        r.queue.set_used_ring(GuestAddress(k_mem_size - 8));
    }
    SUBCASE("avail ring wrapping") {
        r.queue.set_avail_ring(GuestAddress(UINT64_MAX - 1));
    }
    CHECK_FALSE(r.queue.valid(r.mem));
}

TEST_CASE("Queue without EVENT_IDX honours NO_INTERRUPT") {
    Rig r;
    Buffer bufs[] = {{k_data, 16, true}};
    CHECK_FALSE(r.queue.should_notify(r.mem)); // nothing used yet
    r.drv.add_chain(bufs);
    CHECK(r.queue.add_used(r.mem, r.pop_one().head, 0));
    CHECK(r.queue.should_notify(r.mem));
    CHECK_FALSE(r.queue.should_notify(r.mem)); // nothing new since
    r.drv.set_avail_flags(k_avail_f_no_interrupt);
    r.drv.add_chain(bufs);
    CHECK(r.queue.add_used(r.mem, r.pop_one().head, 0));
    CHECK_FALSE(r.queue.should_notify(r.mem));
}

TEST_CASE("Queue with EVENT_IDX interrupts only when used_event is passed") {
    Rig r(8, /*event_idx=*/true);
    Buffer bufs[] = {{k_data, 16, true}};
    for (int i = 0; i < 4; i++)
        r.drv.add_chain(bufs);
    r.drv.set_used_event(2); // "interrupt me once entry 2 is used"
    CHECK(r.queue.add_used(r.mem, r.pop_one().head, 0));
    CHECK(r.queue.add_used(r.mem, r.pop_one().head, 0));
    CHECK_FALSE(r.queue.should_notify(r.mem)); // used idx 2: entry 2 not used yet
    CHECK(r.queue.add_used(r.mem, r.pop_one().head, 0));
    CHECK(r.queue.should_notify(r.mem)); // used idx 3 passed 2
    CHECK(r.queue.add_used(r.mem, r.pop_one().head, 0));
    CHECK_FALSE(r.queue.should_notify(r.mem)); // used_event still 2
    // A batch that jumps over used_event interrupts once.
    r.drv.set_used_event(5);
    for (int i = 0; i < 3; i++)
        r.drv.add_chain(bufs);
    for (int i = 0; i < 3; i++)
        CHECK(r.queue.add_used(r.mem, r.pop_one().head, 0));
    CHECK(r.queue.should_notify(r.mem));
}

TEST_CASE("Queue with EVENT_IDX writes avail_event and sees late buffers") {
    Rig r(8, /*event_idx=*/true);
    Buffer bufs[] = {{k_data, 16, true}};
    r.drv.add_chain(bufs);
    r.drv.add_chain(bufs);
    r.pop_one();
    r.pop_one();
    CHECK_FALSE(r.queue.pop(r.mem));
    CHECK_FALSE(r.queue.enable_notification(r.mem));
    CHECK(r.drv.avail_event() == 2);
    r.drv.add_chain(bufs); // arrives "while" the device was going idle
    CHECK(r.queue.enable_notification(r.mem));
    CHECK(r.pop_one().ok());
}
