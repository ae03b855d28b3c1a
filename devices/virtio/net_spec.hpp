#pragma once
// The virtio-net ABI (virtio 1.2, 5.1): device id, feature bits, the configuration
// space and the per-packet header. Little-endian, like everything in spec.hpp.
#include <cstdint>

#include "devices/virtio/spec.hpp"

namespace hyper::virtio::net {

constexpr uint32_t k_device_id = 1;

// Feature bits (spec 5.1.3).
constexpr unsigned k_f_csum = 0;       // the device takes packets with a partial checksum
constexpr unsigned k_f_guest_csum = 1; // the driver takes packets with a partial checksum
constexpr unsigned k_f_mac = 5;
constexpr unsigned k_f_guest_tso4 = 7;
constexpr unsigned k_f_guest_tso6 = 8;
constexpr unsigned k_f_guest_ecn = 9;
constexpr unsigned k_f_guest_ufo = 10;
constexpr unsigned k_f_host_tso4 = 11;
constexpr unsigned k_f_host_tso6 = 12;
constexpr unsigned k_f_host_ecn = 13;
constexpr unsigned k_f_host_ufo = 14;
constexpr unsigned k_f_mrg_rxbuf = 15;
constexpr unsigned k_f_status = 16;
constexpr unsigned k_f_ctrl_vq = 17;
constexpr unsigned k_f_mq = 22;

// Config status bits (spec 5.1.4).
constexpr uint16_t k_s_link_up = 1;

// Header flags and GSO types (spec 5.1.6).
constexpr uint8_t k_hdr_f_needs_csum = 1;
constexpr uint8_t k_hdr_f_data_valid = 2;
constexpr uint8_t k_hdr_gso_none = 0;
constexpr uint8_t k_hdr_gso_tcpv4 = 1;
constexpr uint8_t k_hdr_gso_udp = 3;
constexpr uint8_t k_hdr_gso_tcpv6 = 4;
constexpr uint8_t k_hdr_gso_ecn = 0x80;

// struct virtio_net_hdr_v1: with VERSION_1 every packet starts with all 12 bytes,
// num_buffers included, whether or not MRG_RXBUF was negotiated.
struct Header {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};
static_assert(sizeof(Header) == 12);
constexpr uint32_t k_header_size = sizeof(Header);
constexpr uint32_t k_num_buffers_offset = 10;

// The largest Ethernet frame a TAP hands over or takes (a 64 KiB GSO packet with its
// link header), and the largest packet with its virtio header.
constexpr uint32_t k_max_frame = 65550;
constexpr uint32_t k_max_packet = k_header_size + k_max_frame; // 65562

// struct virtio_net_config up to max_virtqueue_pairs (mtu and later need features we do
// not offer).
#pragma pack(push, 1)
struct Config {
    uint8_t mac[6];
    uint16_t status;
    uint16_t max_virtqueue_pairs;
};
#pragma pack(pop)
static_assert(sizeof(Config) == 10);

} // namespace hyper::virtio::net
