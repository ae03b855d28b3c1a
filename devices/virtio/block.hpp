#pragma once
// virtio-blk (virtio 1.2, 5.2) over a raw image file (or a host block device), one
// request queue, served by one I/O thread per device (see block_worker.hpp).
//
// Opening takes an advisory lock on the image (an OFD lock: a write lock read-write, a
// read lock read-only), so a second vmm on the same image is refused with
// "disk X is in use by another process" (ExitCode::NoInput) instead of both corrupting
// it; read-only users may share an image.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/event_fd.hpp"
#include "base/fd.hpp"
#include "devices/virtio/block_worker.hpp"
#include "devices/virtio/device.hpp"
#include "devices/virtio/io_thread.hpp"
#include "devices/virtio/io_uring.hpp"
#include "devices/virtio/spec.hpp"

namespace hyper::virtio {

struct BlockOptions {
    std::string path;
    bool read_only{false};
    std::string serial;      // answered to GET_ID; at most 20 bytes
    bool direct{false};      // O_DIRECT: bypass the host page cache (cache=none)
    bool use_io_uring{true}; // false: synchronous I/O on the device thread
};

class Block final : public VirtioDevice {
  public:
    static constexpr uint16_t k_queue_size = 256;
    static constexpr uint32_t k_seg_max = k_queue_size - 2;     // minus header and status
    static constexpr uint32_t k_max_discard_sectors = 1u << 22; // 2 GiB per request

    // Errors: missing/unreadable file, not a file or block device, O_DIRECT refused
    // (ExitCode::NoInput, naming the path); size not a multiple of 512
    // (ExitCode::BadImage); image locked by another process (ExitCode::NoInput);
    // serial longer than 20 bytes (ExitCode::Usage).
    static Result<std::unique_ptr<Block>> open(const BlockOptions& options);
    ~Block() override;

    const char* name() const override { return "virtio-blk"; }
    uint32_t device_id() const override { return k_device_id_block; }
    uint64_t device_features() const override { return m_features; }
    std::span<const uint16_t> queue_max_sizes() const override { return m_queue_sizes; }
    void read_config(uint64_t offset, std::span<uint8_t> data) const override;
    void write_config(uint64_t, std::span<const uint8_t>) override {} // all read-only
    Result<void> activate(ActivateContext context) override;
    void reset() override;

    uint64_t capacity_sectors() const { return m_config.capacity; }
    bool discard_supported() const { return m_punch_hole; }
    bool write_zeroes_supported() const { return m_zero_range; }
    // Whether the running activation uses io_uring (false when stopped).
    bool using_io_uring() const { return m_ring.valid(); }

  private:
    Block() = default;
    Result<void> probe(const std::string& path, bool regular_file);

    BlockOptions m_options;
    Fd m_file;
    bool m_punch_hole{false};
    bool m_zero_range{false};
    uint64_t m_features{0};
    blk::Config m_config{};
    std::array<uint16_t, 1> m_queue_sizes{k_queue_size};

    // While active.
    IoThread m_io{ThreadRole::Block};
    EventFd m_ring_event;
    IoUring m_ring;
    std::optional<BlockWorkerSetup> m_setup;
};

} // namespace hyper::virtio
