#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include "devices/cmos.hpp"
#include "devices/i8042.hpp"
#include "devices/serial.hpp"

using namespace hyper;
using namespace hyper::devices;

namespace {
uint8_t rd(BusDevice& d, uint64_t off) {
    uint8_t b = 0;
    d.read(off, std::span(&b, 1));
    return b;
}
void wr(BusDevice& d, uint64_t off, uint8_t v) {
    d.write(off, std::span<const uint8_t>(&v, 1));
}
} // namespace

TEST_CASE("Serial transmits to its fd and interrupts on THRE and received data") {
    int fds[2];
    REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);
    Fd rfd(fds[0]), wfd(fds[1]);
    Serial s(IrqLine(EventFd::create().value()), wfd.get());
    wr(s, 0, 'h');
    wr(s, 0, 'i');
    char got[4] = {};
    REQUIRE(::read(rfd.get(), got, sizeof got) == 2);
    CHECK(std::string(got, 2) == "hi");
    CHECK(s.irq().take_count() == 0); // IER off: no interrupt
    CHECK((rd(s, 5) & 0x60) == 0x60); // THR empty and transmitter idle
    wr(s, 1, 0x02);                   // enable THRE interrupt
    CHECK(s.irq().take_count() == 1);
    CHECK(rd(s, 2) == 0x02); // IIR says THRE, reading acknowledges
    CHECK(rd(s, 2) == 0x01);
    wr(s, 1, 0x01); // receive interrupt only
    uint8_t in[] = {'a', 'b'};
    CHECK(s.enqueue_input(in) == 2);
    CHECK(s.irq().take_count() == 1);
    CHECK((rd(s, 5) & 0x01) == 1);
    CHECK(rd(s, 2) == 0x04);
    CHECK(rd(s, 0) == 'a');
    CHECK(rd(s, 0) == 'b');
    CHECK((rd(s, 5) & 0x01) == 0);
    CHECK(rd(s, 2) == 0x01);
}

TEST_CASE("Serial passes the Linux 8250 probe: IER bits, scratch, loopback, FIFO") {
    Serial s(IrqLine(EventFd::create().value()), -1);
    wr(s, 1, 0x0f);
    CHECK(rd(s, 1) == 0x0f);
    wr(s, 7, 0x5a);
    CHECK(rd(s, 7) == 0x5a);
    wr(s, 4, 0x10 | 0x0a); // loopback with OUT2 and RTS
    CHECK((rd(s, 6) & 0xf0) == 0x90);
    wr(s, 2, 0x01); // enable FIFOs
    CHECK((rd(s, 2) & 0xc0) == 0xc0);
    wr(s, 3, 0x80); // divisor latch
    wr(s, 0, 0x01);
    CHECK(rd(s, 0) == 0x01);
    // out-of-range offsets never crash
    uint8_t big[8] = {};
    s.read(6, std::span(big, 2));
}

TEST_CASE("i8042 answers the probe and resets on 0xfe") {
    int resets = 0;
    I8042 k([&] { resets++; });
    CHECK((rd(k, 4) & 0x02) == 0); // input buffer empty
    wr(k, 4, 0xaa);
    CHECK((rd(k, 4) & 0x01) == 1);
    CHECK(rd(k, 0) == 0x55);
    CHECK((rd(k, 4) & 0x01) == 0);
    wr(k, 4, 0x60);
    wr(k, 0, 0x47);
    wr(k, 4, 0x20);
    CHECK(rd(k, 0) == 0x47);
    CHECK(resets == 0);
    wr(k, 4, 0xfe);
    CHECK(resets == 1);
}

TEST_CASE("CMOS reports a valid BCD time without update-in-progress") {
    Cmos c;
    wr(c, 0, 0x0a);
    CHECK((rd(c, 1) & 0x80) == 0);
    wr(c, 0, 0x0b);
    CHECK((rd(c, 1) & 0x04) == 0); // BCD mode
    wr(c, 0, 0x08);
    uint8_t month = rd(c, 1);
    CHECK(month >= 0x01);
    CHECK(month <= 0x12);
    wr(c, 0, 0x32);
    CHECK(rd(c, 1) == 0x20);
    wr(c, 0, 0x0d);
    CHECK(rd(c, 1) == 0x80);
}
