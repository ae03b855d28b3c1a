#pragma once
// Turning one descriptor chain into one virtio-blk request (virtio 1.2, 5.2.6), trusting
// nothing the guest wrote: the 16-byte header may straddle descriptors, the status byte is
// the last device-writable byte, data must flow in the direction the type says, and every
// sector range is checked against the capacity without overflowing.
#include <cstdint>
#include <string>
#include <sys/uio.h>
#include <vector>

#include "base/guest_memory.hpp"
#include "devices/virtio/queue.hpp"

namespace hyper::virtio {

// What the device offers, as negotiated with the driver.
struct DiskInfo {
    uint64_t capacity{0}; // 512-byte sectors
    bool read_only{false};
    bool discard{false};      // VIRTIO_BLK_F_DISCARD negotiated (punch-hole works)
    bool write_zeroes{false}; // VIRTIO_BLK_F_WRITE_ZEROES negotiated (zero-range works)
    bool may_unmap{false};    // write zeroes with UNMAP may punch a hole
    uint32_t max_discard_sectors{0};
    uint32_t max_write_zeroes_sectors{0};
    std::string serial; // GET_ID answer, at most 20 bytes
};

enum class BlockOp : uint8_t {
    Complete,    // nothing to do on the host: `status` is the answer
    Read,        // preadv into `iov`
    Write,       // pwritev from `iov`
    Flush,       // fdatasync
    Discard,     // fallocate PUNCH_HOLE | KEEP_SIZE
    WriteZeroes, // fallocate ZERO_RANGE | KEEP_SIZE
};

struct BlockRequest {
    uint16_t head{0};
    BlockOp op{BlockOp::Complete};
    uint8_t status{0};      // the answer when op == Complete
    bool has_status{false}; // false: no writable byte, complete with used length 0
    GuestAddress status_addr;
    std::vector<iovec> iov;   // guest buffers (host views) for Read/Write
    uint64_t offset{0};       // bytes into the image
    uint64_t length{0};       // bytes to transfer, discard or zero
    uint32_t data_written{0}; // bytes of data written into the chain on success (IN, GET_ID)
};

// Validates `chain` and prepares the host operation. GET_ID is answered here (the serial
// is written into the chain). Never fails: a bad request becomes Complete with IOERR or
// UNSUPP.
BlockRequest prepare_request(const DescriptorChain& chain, const GuestMemory& mem,
                             const DiskInfo& disk);

// Writes the status byte; returns the used length to report (data + status byte, or 0
// when the chain has no room for a status).
uint32_t finish_request(const BlockRequest& request, const GuestMemory& mem, uint8_t status);

} // namespace hyper::virtio
