#pragma once
// Numbers from the virtio 1.2 specification that the transport, the virtqueue and the
// devices share: feature bits, device status bits, ring flags and the virtio-blk ABI.
// Everything is little-endian on the wire; hyper only runs on little-endian hosts.
#include <bit>
#include <cstdint>

namespace hyper::virtio {

static_assert(std::endian::native == std::endian::little, "virtio structures are little-endian");

constexpr uint64_t feature_bit(unsigned bit) {
    return uint64_t{1} << bit;
}

// Device-independent feature bits (spec 6).
constexpr unsigned k_f_ring_indirect_desc = 28;
constexpr unsigned k_f_ring_event_idx = 29;
constexpr unsigned k_f_version_1 = 32;

// Device status field (spec 2.1).
constexpr uint32_t k_status_acknowledge = 1;
constexpr uint32_t k_status_driver = 2;
constexpr uint32_t k_status_driver_ok = 4;
constexpr uint32_t k_status_features_ok = 8;
constexpr uint32_t k_status_needs_reset = 0x40;
constexpr uint32_t k_status_failed = 0x80;

// Device types (spec 5).
constexpr uint32_t k_device_id_block = 2;

// Split virtqueue layout (spec 2.7).
constexpr uint16_t k_desc_f_next = 1;
constexpr uint16_t k_desc_f_write = 2;
constexpr uint16_t k_desc_f_indirect = 4;
constexpr uint16_t k_avail_f_no_interrupt = 1;
constexpr uint64_t k_desc_size = 16;
constexpr uint64_t k_used_elem_size = 8;

// Interrupt status bits of virtio-mmio (spec 4.2.2).
constexpr uint32_t k_interrupt_used_buffer = 1;
constexpr uint32_t k_interrupt_config_change = 2;

namespace blk {

// Feature bits (spec 5.2.3).
constexpr unsigned k_f_seg_max = 2;
constexpr unsigned k_f_ro = 5;
constexpr unsigned k_f_blk_size = 6;
constexpr unsigned k_f_flush = 9;
constexpr unsigned k_f_discard = 13;
constexpr unsigned k_f_write_zeroes = 14;

// Request types, status values and sizes (spec 5.2.6).
constexpr uint32_t k_t_in = 0;
constexpr uint32_t k_t_out = 1;
constexpr uint32_t k_t_flush = 4;
constexpr uint32_t k_t_get_id = 8;
constexpr uint32_t k_t_discard = 11;
constexpr uint32_t k_t_write_zeroes = 13;
constexpr uint8_t k_s_ok = 0;
constexpr uint8_t k_s_ioerr = 1;
constexpr uint8_t k_s_unsupp = 2;
constexpr uint32_t k_write_zeroes_flag_unmap = 1;
constexpr uint64_t k_sector_size = 512;
constexpr uint64_t k_id_bytes = 20;

struct RequestHeader {
    uint32_t type;
    uint32_t ioprio;
    uint64_t sector;
};
static_assert(sizeof(RequestHeader) == 16);

struct DiscardSegment {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};
static_assert(sizeof(DiscardSegment) == 16);

// struct virtio_blk_config up to the write-zeroes fields, without padding surprises.
#pragma pack(push, 1)
struct Config {
    uint64_t capacity;
    uint32_t size_max;
    uint32_t seg_max;
    uint16_t cylinders;
    uint8_t heads;
    uint8_t sectors;
    uint32_t blk_size;
    uint8_t physical_block_exp;
    uint8_t alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    uint8_t writeback;
    uint8_t unused0;
    uint16_t num_queues;
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t discard_sector_alignment;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t unused1[3];
};
#pragma pack(pop)
static_assert(sizeof(Config) == 60);

} // namespace blk

} // namespace hyper::virtio

// --- virtio-vsock (spec 5.10).
namespace hyper::virtio {

constexpr uint32_t k_device_id_vsock = 19;

namespace vsock {

// Queue indices (spec 5.10.2).
constexpr uint16_t k_queue_rx = 0;
constexpr uint16_t k_queue_tx = 1;
constexpr uint16_t k_queue_event = 2;

// Feature bits (spec 5.10.3). With none negotiated only stream sockets exist.
constexpr unsigned k_f_stream = 0;
constexpr unsigned k_f_seqpacket = 1;

// Well-known CIDs: the host is 2; guests get 3 and up (the upper 32 bits are reserved).
constexpr uint64_t k_host_cid = 2;
constexpr uint64_t k_min_guest_cid = 3;
constexpr uint64_t k_max_guest_cid = 0xfffffffe; // 0xffffffff is VMADDR_CID_ANY

// Socket types, operations and flags (spec 5.10.6).
constexpr uint16_t k_type_stream = 1;
constexpr uint16_t k_type_seqpacket = 2;
constexpr uint16_t k_op_invalid = 0;
constexpr uint16_t k_op_request = 1;
constexpr uint16_t k_op_response = 2;
constexpr uint16_t k_op_rst = 3;
constexpr uint16_t k_op_shutdown = 4;
constexpr uint16_t k_op_rw = 5;
constexpr uint16_t k_op_credit_update = 6;
constexpr uint16_t k_op_credit_request = 7;
constexpr uint32_t k_shutdown_rcv = 1;  // the sender will receive no more data
constexpr uint32_t k_shutdown_send = 2; // the sender will send no more data
constexpr uint32_t k_shutdown_both = k_shutdown_rcv | k_shutdown_send;
constexpr uint32_t k_event_transport_reset = 0;

#pragma pack(push, 1)
struct Header {
    uint64_t src_cid;
    uint64_t dst_cid;
    uint32_t src_port;
    uint32_t dst_port;
    uint32_t len;
    uint16_t type;
    uint16_t op;
    uint32_t flags;
    uint32_t buf_alloc;
    uint32_t fwd_cnt;
};
struct Config {
    uint64_t guest_cid;
};
struct Event {
    uint32_t id;
};
#pragma pack(pop)
static_assert(sizeof(Header) == 44);
static_assert(sizeof(Config) == 8);
static_assert(sizeof(Event) == 4);

} // namespace vsock

} // namespace hyper::virtio
