#include "devices/virtio/block.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "devices/virtio/testing/block_rig.hpp"

using namespace hyper;
using namespace hyper::virtio;
using namespace hyper::virtio::testing;

namespace {

constexpr uint64_t k_image_size = 1 << 20; // 2048 sectors
constexpr uint32_t k_running =
    k_status_acknowledge | k_status_driver | k_status_features_ok | k_status_driver_ok;

std::unique_ptr<Block> open_disk(const std::string& path, bool uring, bool read_only = false,
                                 std::string serial = "") {
    BlockOptions options;
    options.path = path;
    options.read_only = read_only;
    options.serial = std::move(serial);
    options.use_io_uring = uring;
    auto block = Block::open(options);
    REQUIRE_MESSAGE(block, (block ? "" : block.error().to_string()));
    return std::move(*block);
}

uint8_t expected_byte(uint64_t offset) {
    return static_cast<uint8_t>(offset / 512 + offset);
}

} // namespace

TEST_CASE("virtio-blk writes and reads back through the transport") {
    TempDir dir;
    std::string path = dir.file("disk.img");
    REQUIRE(write_image(path, k_image_size));
    bool uring = true;
    SUBCASE("io_uring") {
        uring = true;
    }
    SUBCASE("synchronous") {
        uring = false;
    }
    BlockRig r(open_disk(path, uring));
    CHECK(r.blk->capacity_sectors() == 2048);
    REQUIRE(r.bring_up() == k_running);
    if (uring && !r.blk->using_io_uring())
        MESSAGE("io_uring unavailable on this host: the synchronous path was tested twice");

    // Read sector 3 (two segments, 512 + 1024 bytes) as the image has it.
    Completed c = r.run(blk::k_t_in, 3, {{r.data(0), 512, true}, {r.data(1), 1024, true}});
    CHECK(c.status == blk::k_s_ok);
    CHECK(c.used_len == 1537);
    auto got = r.bytes(r.data(0), 512);
    CHECK(got[0] == expected_byte(3 * 512));
    CHECK(got[511] == expected_byte(3 * 512 + 511));
    CHECK(r.bytes(r.data(1), 1)[0] == expected_byte(4 * 512));

    // Write 4 KiB at sector 100, split over three segments, through an indirect table.
    r.fill(r.data(2), 4096, 0x5a);
    c = r.run(blk::k_t_out, 100,
              {{r.data(2), 1024, false},
               {r.data(2) + 1024, 2048, false},
               {r.data(2) + 3072, 1024, false}},
              /*indirect=*/true);
    CHECK(c.status == blk::k_s_ok);
    CHECK(c.used_len == 1);
    CHECK(read_image(path, 100 * 512, 4096) == std::vector<uint8_t>(4096, 0x5a));
    CHECK(read_image(path, 99 * 512, 1)[0] == expected_byte(99 * 512));

    r.fill(r.data(3), 4096, 0);
    c = r.run(blk::k_t_in, 100, {{r.data(3), 4096, true}});
    CHECK(c.status == blk::k_s_ok);
    CHECK(r.bytes(r.data(3), 4096) == std::vector<uint8_t>(4096, 0x5a));

    c = r.run(blk::k_t_flush, 0, {});
    CHECK(c.status == blk::k_s_ok);
    CHECK(c.used_len == 1);

    // The last sector is in range, the one after it is not.
    c = r.run(blk::k_t_in, 2047, {{r.data(0), 512, true}});
    CHECK(c.status == blk::k_s_ok);
    CHECK(r.run(blk::k_t_in, 2048, {{r.data(0), 512, true}}).status == blk::k_s_ioerr);
    CHECK(r.run(blk::k_t_in, 2047, {{r.data(0), 1024, true}}).status == blk::k_s_ioerr);
    CHECK(r.run(blk::k_t_out, UINT64_MAX, {{r.data(0), 512, false}}).status == blk::k_s_ioerr);
    CHECK(r.run(blk::k_t_in, UINT64_MAX / 512 + 1, {{r.data(0), 512, true}}).status ==
          blk::k_s_ioerr);
}

TEST_CASE("virtio-blk offers its features and configuration") {
    TempDir dir;
    std::string path = dir.file("disk.img");
    REQUIRE(write_image(path, k_image_size));
    struct stat before {};
    REQUIRE(::stat(path.c_str(), &before) == 0);
    BlockRig r(open_disk(path, true));
    uint64_t f = r.offered_features();
    CHECK((f & feature_bit(k_f_version_1)) != 0);
    CHECK((f & feature_bit(k_f_ring_event_idx)) != 0);
    CHECK((f & feature_bit(k_f_ring_indirect_desc)) != 0);
    CHECK((f & feature_bit(blk::k_f_flush)) != 0);
    CHECK((f & feature_bit(blk::k_f_seg_max)) != 0);
    CHECK((f & feature_bit(blk::k_f_blk_size)) != 0);
    CHECK((f & feature_bit(blk::k_f_ro)) == 0);
    CHECK(((f & feature_bit(blk::k_f_discard)) != 0) == r.blk->discard_supported());
    CHECK(((f & feature_bit(blk::k_f_write_zeroes)) != 0) == r.blk->write_zeroes_supported());
    CHECK(mmio_read(*r.transport, 0x008) == k_device_id_block);
    CHECK(mmio_read(*r.transport, 0x034) == Block::k_queue_size);
    CHECK(mmio_read(*r.transport, 0x100) == 2048); // capacity, low half
    CHECK(mmio_read(*r.transport, 0x104) == 0);
    CHECK(mmio_read(*r.transport, 0x10c) == Block::k_seg_max);
    CHECK(mmio_read(*r.transport, 0x114) == 512);    // blk_size
    CHECK(mmio_read(*r.transport, 0x100 + 60) == 0); // past the structure
    // Probing fallocate did not change the image, not even its allocation.
    struct stat after {};
    REQUIRE(::stat(path.c_str(), &after) == 0);
    CHECK(after.st_size == static_cast<off_t>(k_image_size));
    CHECK(after.st_blocks == before.st_blocks);
}

TEST_CASE("virtio-blk answers GET_ID with the serial") {
    TempDir dir;
    std::string path = dir.file("disk.img");
    REQUIRE(write_image(path, k_image_size));
    BlockRig r(open_disk(path, true, false, "hyper-serial-01"));
    REQUIRE(r.bring_up() == k_running);
    r.fill(r.data(0), 20, 0xff);
    Completed c = r.run(blk::k_t_get_id, 0, {{r.data(0), 20, true}});
    CHECK(c.status == blk::k_s_ok);
    CHECK(c.used_len == 21);
    auto id = r.bytes(r.data(0), 20);
    CHECK(std::string(id.begin(), id.begin() + 15) == "hyper-serial-01");
    CHECK(id[15] == 0);
    CHECK(id[19] == 0);
    // A shorter buffer gets the first bytes.
    c = r.run(blk::k_t_get_id, 0, {{r.data(1), 5, true}});
    CHECK(c.used_len == 6);
    auto head = r.bytes(r.data(1), 5);
    CHECK(std::string(head.begin(), head.end()) == "hyper");

    BlockOptions too_long;
    too_long.path = dir.file("other.img");
    too_long.serial = std::string(21, 'x');
    auto refused = Block::open(too_long);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().exit_code() == ExitCode::Usage);
}

TEST_CASE("virtio-blk read-only disks refuse writes") {
    TempDir dir;
    std::string path = dir.file("disk.img");
    REQUIRE(write_image(path, k_image_size));
    bool uring = true;
    SUBCASE("io_uring") {
        uring = true;
    }
    SUBCASE("synchronous") {
        uring = false;
    }
    BlockRig r(open_disk(path, uring, /*read_only=*/true));
    uint64_t f = r.offered_features();
    CHECK((f & feature_bit(blk::k_f_ro)) != 0);
    CHECK((f & feature_bit(blk::k_f_discard)) == 0);
    CHECK((f & feature_bit(blk::k_f_write_zeroes)) == 0);
    REQUIRE(r.bring_up() == k_running);
    r.fill(r.data(0), 512, 0x11);
    CHECK(r.run(blk::k_t_out, 0, {{r.data(0), 512, false}}).status == blk::k_s_ioerr);
    CHECK(read_image(path, 0, 1)[0] == expected_byte(0));
    CHECK(r.run(blk::k_t_write_zeroes, 0, {}).status == blk::k_s_unsupp);
    CHECK(r.run(blk::k_t_in, 1, {{r.data(0), 512, true}}).status == blk::k_s_ok);
    CHECK(r.bytes(r.data(0), 1)[0] == expected_byte(512));
    CHECK(r.run(blk::k_t_flush, 0, {}).status == blk::k_s_ok);
}

TEST_CASE("virtio-blk discards and writes zeroes when the host file system can") {
    TempDir dir;
    std::string path = dir.file("disk.img");
    REQUIRE(write_image(path, k_image_size));
    bool uring = true;
    SUBCASE("io_uring") {
        uring = true;
    }
    SUBCASE("synchronous") {
        uring = false;
    }
    BlockRig r(open_disk(path, uring));
    if (!r.blk->discard_supported() || !r.blk->write_zeroes_supported()) {
        MESSAGE("no fallocate punch-hole/zero-range on " << dir.path() << ": skipped");
        return;
    }
    REQUIRE(r.bring_up() == k_running);
    auto range = [&](unsigned slot, uint64_t sector, uint32_t count, uint32_t flags) {
        blk::DiscardSegment seg{sector, count, flags};
        (void)r.mem.write_obj(GuestAddress(r.data(slot)), seg);
        return Buffer{r.data(slot), 16, false};
    };
    std::vector<uint8_t> zeros(8 * 512, 0);
    CHECK(r.run(blk::k_t_write_zeroes, 0, {range(0, 16, 8, 0)}).status == blk::k_s_ok);
    CHECK(read_image(path, 16 * 512, zeros.size()) == zeros);
    CHECK(read_image(path, 24 * 512, 1)[0] == expected_byte(24 * 512));
    CHECK(
        r.run(blk::k_t_write_zeroes, 0, {range(0, 32, 8, blk::k_write_zeroes_flag_unmap)}).status ==
        blk::k_s_ok);
    CHECK(read_image(path, 32 * 512, zeros.size()) == zeros);
    CHECK(r.run(blk::k_t_discard, 0, {range(0, 64, 8, 0)}).status == blk::k_s_ok);
    CHECK(read_image(path, 64 * 512, zeros.size()) == zeros);
    CHECK(std::filesystem::file_size(path) == k_image_size);

    // Refused: UNMAP on a discard, unknown flags, two segments, out of range, no segment.
    CHECK(r.run(blk::k_t_discard, 0, {range(0, 0, 8, blk::k_write_zeroes_flag_unmap)}).status ==
          blk::k_s_unsupp);
    CHECK(r.run(blk::k_t_write_zeroes, 0, {range(0, 0, 8, 0x2)}).status == blk::k_s_unsupp);
    CHECK(r.run(blk::k_t_discard, 0, {range(0, 0, 8, 0), range(1, 8, 8, 0)}).status ==
          blk::k_s_unsupp);
    CHECK(r.run(blk::k_t_discard, 0, {range(0, 2044, 8, 0)}).status == blk::k_s_ioerr);
    CHECK(r.run(blk::k_t_discard, 0, {range(0, UINT64_MAX - 2, 8, 0)}).status == blk::k_s_ioerr);
    CHECK(r.run(blk::k_t_discard, 0, {}).status == blk::k_s_ioerr);
    CHECK(read_image(path, 0, 1)[0] == expected_byte(0));
}

TEST_CASE("virtio-blk keeps many requests in flight and interrupts once per batch") {
    TempDir dir;
    std::string path = dir.file("disk.img");
    REQUIRE(write_image(path, k_image_size));
    bool uring = true;
    SUBCASE("io_uring") {
        uring = true;
    }
    SUBCASE("synchronous") {
        uring = false;
    }
    BlockRig r(open_disk(path, uring));
    REQUIRE(r.bring_up() == k_running);
    constexpr unsigned n = 16;
    r.drv.set_used_event(n - 1); // EVENT_IDX: interrupt when the 16th is used
    for (unsigned i = 0; i < n; i++) {
        r.fill(r.data(i), 8192, static_cast<uint8_t>(0x40 + i));
        r.queue_request(i, blk::k_t_out, 16 * i, {{r.data(i), 8192, false}});
    }
    r.notify();
    REQUIRE(r.wait_used(n));
    for (unsigned i = 0; i < n; i++)
        CHECK(r.status(i) == blk::k_s_ok);
    uint32_t irqs = 0;
    CHECK(wait_until([&] { return (irqs += r.irq_count()) > 0; }));
    CHECK(irqs == 1);
    CHECK((mmio_read(*r.transport, 0x060) & k_interrupt_used_buffer) != 0);
    mmio_write(*r.transport, 0x064, k_interrupt_used_buffer);

    for (unsigned i = 0; i < n; i++) {
        r.fill(r.data(i), 8192, 0);
        r.queue_request(i, blk::k_t_in, 16 * i, {{r.data(i), 8192, true}});
    }
    r.notify();
    REQUIRE(r.wait_used(2 * n));
    for (unsigned i = 0; i < n; i++) {
        CHECK(r.status(i) == blk::k_s_ok);
        CHECK(r.bytes(r.data(i), 8192) == std::vector<uint8_t>(8192, 0x40 + i));
    }
}

TEST_CASE("virtio-blk opening: missing, misaligned and locked images") {
    TempDir dir;
    BlockOptions options;
    options.path = dir.file("missing.img");
    auto missing = Block::open(options);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().exit_code() == ExitCode::NoInput);
    CHECK(missing.error().to_string().find(options.path) != std::string::npos);

    options.path = dir.file("odd.img");
    REQUIRE(write_image(options.path, 1000));
    auto odd = Block::open(options);
    REQUIRE_FALSE(odd);
    CHECK(odd.error().exit_code() == ExitCode::BadImage);
    CHECK(odd.error().to_string().find("512") != std::string::npos);

    options.path = dir.file("disk.img");
    REQUIRE(write_image(options.path, k_image_size));
    {
        auto first = Block::open(options);
        REQUIRE(first);
        auto second = Block::open(options);
        REQUIRE_FALSE(second);
        CHECK(second.error().exit_code() == ExitCode::NoInput);
        CHECK(second.error().to_string() ==
              "disk " + options.path + " is in use by another process");
        BlockOptions reader = options;
        reader.read_only = true;
        CHECK_FALSE(Block::open(reader)); // a reader would see a disk changing under it
    }
    // Readers share; a writer then waits for them to go.
    options.read_only = true;
    auto reader1 = Block::open(options);
    auto reader2 = Block::open(options);
    CHECK(reader1);
    CHECK(reader2);
    BlockOptions writer = options;
    writer.read_only = false;
    CHECK_FALSE(Block::open(writer));
}

TEST_CASE("virtio-blk with direct I/O") {
    TempDir dir;
    std::string path = dir.file("disk.img");
    REQUIRE(write_image(path, k_image_size));
    BlockOptions options;
    options.path = path;
    options.direct = true;
    auto block = Block::open(options);
    if (!block) {
        MESSAGE("direct I/O unavailable here (" << block.error().to_string() << "): skipped");
        return;
    }
    BlockRig r(std::move(*block));
    REQUIRE(r.bring_up() == k_running);
    uint32_t blk_size = mmio_read(*r.transport, 0x114);
    r.fill(r.data(0), 8192, 0x77);
    CHECK(r.run(blk::k_t_out, 8, {{r.data(0), 8192, false}}).status == blk::k_s_ok);
    CHECK(r.run(blk::k_t_flush, 0, {}).status == blk::k_s_ok);
    r.fill(r.data(1), 8192, 0);
    CHECK(r.run(blk::k_t_in, 8, {{r.data(1), 8192, true}}).status == blk::k_s_ok);
    CHECK(r.bytes(r.data(1), 8192) == std::vector<uint8_t>(8192, 0x77));
    CHECK(blk_size >= 512);
}
