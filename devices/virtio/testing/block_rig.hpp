#pragma once
// Test helper: a virtio-blk device behind a virtio-mmio transport, a temporary image file
// and a fake driver that sends requests and waits (with a timeout) for their completion.
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "devices/virtio/block.hpp"
#include "devices/virtio/mmio.hpp"
#include "devices/virtio/testing/fake_driver.hpp"

namespace hyper::virtio::testing {

// A private directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
  public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/hyper-test-XXXXXX";
        if (::mkdtemp(tmpl.data()))
            m_path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        if (!m_path.empty())
            std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }

  private:
    std::string m_path;
};

// Creates `path` with `size` bytes: byte i is (i / 512 + i) & 0xff.
inline bool write_image(const std::string& path, uint64_t size) {
    std::vector<uint8_t> data(size);
    for (uint64_t i = 0; i < size; i++)
        data[i] = static_cast<uint8_t>(i / 512 + i);
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    return fd.valid() && ::pwrite(fd.get(), data.data(), size, 0) == static_cast<ssize_t>(size);
}

inline std::vector<uint8_t> read_image(const std::string& path, uint64_t offset, size_t len) {
    std::vector<uint8_t> data(len);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid() || ::pread(fd.get(), data.data(), len, static_cast<off_t>(offset)) !=
                           static_cast<ssize_t>(len))
        data.clear();
    return data;
}

// Waits up to `timeout` for `done()`; never hangs a test. The default is generous: the
// aarch64 unit tests run on an emulated CPU, many times slower than the host's.
template <typename F>
bool wait_until(F done, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end)
            return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

struct Completed {
    uint8_t status;
    uint32_t used_len;
};

class BlockRig {
  public:
    static constexpr uint64_t k_headers = 0x100000;  // 16 bytes per slot
    static constexpr uint64_t k_statuses = 0x110000; // 1 byte per slot
    static constexpr uint64_t k_tables = 0x120000;   // indirect tables, 4 KiB per slot
    static constexpr uint64_t k_data = 0x200000;     // data, 64 KiB per slot
    static constexpr uint64_t k_slot_data = 0x10000;
    static constexpr uint16_t k_queue = 64;

    explicit BlockRig(std::unique_ptr<Block> block)
        : mem(make_memory(8 << 20)), drv(mem, k_queue, 0x1000), blk(block.get()) {
        transport = MmioTransport::create(std::move(block), mem,
                                          devices::IrqLine(EventFd::create().value()))
                        .value();
    }
    BlockRig(const BlockRig&) = delete; // the transport and the driver point at `mem`
    BlockRig& operator=(const BlockRig&) = delete;

    uint64_t offered_features() {
        mmio_write(*transport, 0x14, 0);
        uint64_t low = mmio_read(*transport, 0x10);
        mmio_write(*transport, 0x14, 1);
        return low | (uint64_t{mmio_read(*transport, 0x10)} << 32);
    }
    // Accepts every offered feature and starts the device.
    uint32_t bring_up() { return mmio_bring_up(*transport, offered_features(), drv); }
    // Status 0, then a fresh driver (zeroed rings) and a new bring-up.
    uint32_t restart() {
        mmio_write(*transport, 0x70, 0);
        std::vector<uint8_t> zeros(drv.footprint());
        (void)mem.write(GuestAddress(drv.desc_addr()), zeros);
        drv = FakeDriver(mem, k_queue, 0x1000);
        return bring_up();
    }

    uint64_t data(unsigned slot) const { return k_data + slot * k_slot_data; }
    uint64_t status_addr(unsigned slot) const { return k_statuses + slot; }

    // The header, `bufs` in between, and a 1-byte status; published, not notified.
    uint16_t queue_request(unsigned slot, uint32_t type, uint64_t sector, std::vector<Buffer> bufs,
                           bool indirect = false) {
        blk::RequestHeader header{type, 0, sector};
        (void)mem.write_obj(GuestAddress(k_headers + 16 * slot), header);
        (void)mem.write_obj<uint8_t>(GuestAddress(status_addr(slot)), 0xee);
        bufs.insert(bufs.begin(), Buffer{k_headers + 16 * slot, 16, false});
        bufs.push_back(Buffer{status_addr(slot), 1, true});
        if (indirect)
            return drv.add_indirect(k_tables + 0x1000 * slot, bufs);
        return drv.add_chain(bufs);
    }
    void notify() { mmio_write(*transport, MmioTransport::k_queue_notify_offset, 0); }
    bool wait_used(uint16_t count) {
        return wait_until([&] { return drv.used_idx() == count; });
    }
    uint8_t status(unsigned slot) const {
        return mem.read_obj<uint8_t>(GuestAddress(status_addr(slot))).value();
    }
    // Sends one request (slot 0) and waits for it; {0xff, ~0} after a timeout.
    Completed run(uint32_t type, uint64_t sector, std::vector<Buffer> bufs, bool indirect = false) {
        uint16_t before = drv.used_idx();
        uint16_t head = queue_request(0, type, sector, std::move(bufs), indirect);
        notify();
        if (!wait_used(static_cast<uint16_t>(before + 1)))
            return {0xff, ~0u};
        UsedElem e = drv.used(before);
        return {e.id == head ? status(0) : uint8_t{0xfe}, e.len};
    }
    // Sends a raw, already built chain `head` and returns its used length.
    std::optional<uint32_t> run_raw(uint16_t head) {
        uint16_t before = drv.used_idx();
        drv.publish(head);
        notify();
        if (!wait_used(static_cast<uint16_t>(before + 1)))
            return std::nullopt;
        return drv.used(before).len;
    }

    void fill(uint64_t addr, size_t len, uint8_t value) {
        std::vector<uint8_t> bytes(len, value);
        (void)mem.write(GuestAddress(addr), bytes);
    }
    std::vector<uint8_t> bytes(uint64_t addr, size_t len) const {
        std::vector<uint8_t> out(len);
        (void)mem.read(GuestAddress(addr), out);
        return out;
    }
    uint32_t irq_count() const { return static_cast<uint32_t>(transport->irq().take_count()); }

    GuestMemory mem;
    FakeDriver drv;
    Block* blk;
    std::shared_ptr<MmioTransport> transport;
};

} // namespace hyper::virtio::testing
