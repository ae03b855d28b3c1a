// The pieces of virtio-vsock on their own: credit arithmetic, the host buffer, the
// CONNECT line and the chain helpers.
#include <doctest/doctest.h>

#include "devices/virtio/testing/fake_driver.hpp"
#include "devices/virtio/vsock_connection.hpp"
#include "devices/virtio/vsock_packet.hpp"
#include "devices/virtio/vsock_socket.hpp"

using namespace hyper;
using namespace hyper::virtio;

TEST_CASE("vsock guest credit: what may be sent, and lies") {
    GuestCredit c;
    c.init(8192, 0);
    CHECK(c.available() == 8192);
    c.sent(5000);
    CHECK(c.available() == 3192);
    CHECK(c.update(8192, 1000));
    CHECK(c.available() == 4192);
    CHECK(c.update(8192, 999)); // older: ignored
    CHECK(c.available() == 4192);
    CHECK_FALSE(c.update(8192, 5001)); // beyond what we sent
    CHECK(c.update(8192, 5000));
    CHECK(c.available() == 8192);
    CHECK(c.update(1000, 5000)); // a smaller buffer
    c.sent(1500);
    CHECK(c.available() == 0); // more in flight than the new buffer: nothing, not negative
    CHECK(c.update(UINT32_MAX, 6500));
    CHECK(c.available() == GuestCredit::k_max_buf_alloc);

    // Counters wrap modulo 2^32.
    GuestCredit w;
    w.init(4096, UINT32_MAX - 10);
    w.sent(100);
    CHECK(w.in_flight() == 100);
    CHECK(w.update(4096, 50));
    CHECK(w.available() == 4096 - 39);
}

TEST_CASE("vsock host credit: the guest may not overrun our buffer") {
    HostCredit c;
    CHECK(c.stamp() == 0);
    CHECK(c.accept(HostCredit::k_buf_alloc));
    CHECK_FALSE(c.accept(1));
    CHECK_FALSE(c.update_due());
    c.forwarded(1000);
    CHECK(c.buffered() == HostCredit::k_buf_alloc - 1000);
    CHECK(c.update_due()); // the guest believes nothing is free
    CHECK(c.stamp() == 1000);
    CHECK_FALSE(c.update_due());
    CHECK(c.accept(1000));
    CHECK_FALSE(c.accept(1));
    c.forwarded(HostCredit::k_buf_alloc);
    CHECK(c.buffered() == 0);
    CHECK(c.update_due());
    c.stamp();
    CHECK(c.accept(100));
    c.forwarded(100);
    CHECK_FALSE(c.update_due()); // plenty free as far as the guest knows
}

TEST_CASE("vsock byte queue") {
    ByteQueue q;
    CHECK(q.empty());
    auto a = q.grow(5);
    std::memcpy(a.data(), "hello", 5);
    q.consume(2);
    CHECK(std::string(q.front().begin(), q.front().end()) == "llo");
    std::memcpy(q.grow(3).data(), "abc", 3);
    CHECK(std::string(q.front().begin(), q.front().end()) == "lloabc");
    q.consume(100);
    CHECK(q.empty());
    std::memcpy(q.grow(2).data(), "xy", 2);
    CHECK(q.size() == 2);
}

TEST_CASE("vsock CONNECT line") {
    CHECK(parse_connect_line("CONNECT 52") == 52u);
    CHECK(parse_connect_line("CONNECT 0") == 0u);
    CHECK(parse_connect_line("CONNECT 4294967295") == UINT32_MAX);
    CHECK(parse_connect_line("CONNECT 52\r") == 52u);
    CHECK_FALSE(parse_connect_line("CONNECT 4294967296"));
    CHECK_FALSE(parse_connect_line("CONNECT "));
    CHECK_FALSE(parse_connect_line("CONNECT -1"));
    CHECK_FALSE(parse_connect_line("CONNECT +1"));
    CHECK_FALSE(parse_connect_line("CONNECT 5x"));
    CHECK_FALSE(parse_connect_line("connect 5"));
    CHECK_FALSE(parse_connect_line("CONNECT 5 6"));
    CHECK_FALSE(parse_connect_line(""));
}

TEST_CASE("vsock chain helpers see a packet across descriptors") {
    GuestMemory mem = testing::make_memory(1 << 20);
    DescriptorChain chain;
    chain.descriptors = {{GuestAddress(0x1000), 10, false},
                         {GuestAddress(0x2000), 40, false},
                         {GuestAddress(0x3000), 20, true},
                         {GuestAddress(0x4000), 30, true}};
    std::vector<uint8_t> in(50);
    for (size_t i = 0; i < in.size(); i++)
        in[i] = static_cast<uint8_t>(i);
    REQUIRE(mem.write(GuestAddress(0x1000), std::span(in).first(10)));
    REQUIRE(mem.write(GuestAddress(0x2000), std::span(in).subspan(10)));
    std::vector<uint8_t> out(45);
    REQUIRE(chain_read(chain, mem, 5, out));
    CHECK(out == std::vector<uint8_t>(in.begin() + 5, in.end()));
    CHECK_FALSE(chain_read(chain, mem, 6, out)); // one byte short

    std::vector<uint8_t> w(25, 0xee);
    REQUIRE(chain_write(chain, mem, 15, w));
    CHECK(mem.read_obj<uint8_t>(GuestAddress(0x3000 + 14)) == 0);
    CHECK(mem.read_obj<uint8_t>(GuestAddress(0x3000 + 15)) == 0xee);
    CHECK(mem.read_obj<uint8_t>(GuestAddress(0x4000 + 19)) == 0xee);
    CHECK(mem.read_obj<uint8_t>(GuestAddress(0x4000 + 20)) == 0);
    CHECK_FALSE(chain_write(chain, mem, 26, w));

    std::vector<iovec> iov;
    REQUIRE(chain_iovecs(chain, mem, true, 10, 30, iov));
    REQUIRE(iov.size() == 2);
    CHECK(iov[0].iov_len == 10);
    CHECK(iov[1].iov_len == 20);
    CHECK(iov[1].iov_base == mem.host_base() + 0x4000);
}

TEST_CASE("vsock TX packet parsing") {
    GuestMemory mem = testing::make_memory(1 << 20);
    vsock::Header h{};
    h.src_cid = 3;
    h.dst_cid = 2;
    h.op = vsock::k_op_rw;
    h.type = vsock::k_type_stream;
    h.len = 6;
    REQUIRE(mem.write_obj(GuestAddress(0x1000), h));
    DescriptorChain chain;
    chain.descriptors = {{GuestAddress(0x1000), 44, false}, {GuestAddress(0x2000), 6, false}};
    CHECK(parse_tx_packet(chain, mem, 3).refusal == TxRefusal::None);
    CHECK(parse_tx_packet(chain, mem, 4).refusal == TxRefusal::BadAddress);
    chain.descriptors[1].len = 5;
    CHECK(parse_tx_packet(chain, mem, 3).refusal == TxRefusal::BadLength);
    chain.descriptors = {{GuestAddress(0x1000), 43, false}};
    CHECK(parse_tx_packet(chain, mem, 3).refusal == TxRefusal::ShortHeader);
    // Writable descriptors do not count as packet bytes.
    chain.descriptors = {{GuestAddress(0x1000), 44, false}, {GuestAddress(0x2000), 6, true}};
    CHECK(parse_tx_packet(chain, mem, 3).refusal == TxRefusal::BadLength);
}
