// Internet checksum (RFC 1071) and the VRRP checksum conventions.
//
//   VRRPv3 over IPv6: always over the IPv6 pseudo-header plus the VRRP message.
//   VRRPv3 over IPv4: RFC 5798 §5.2.8 says over the IPv4 pseudo-header plus the message;
//     some older implementations (keepalived before 1.2.24 defaults, early vrrpd) sum the
//     message only. We send the configured one and accept either.
//   VRRPv2 (IPv4 only): the message only (RFC 3768 §5.3.8).
#pragma once

#include <cstdint>
#include <span>

#include "vrrp/addr.hpp"

namespace baton::vrrp {

inline constexpr std::uint8_t kIpProtoVrrp = 112;

enum class ChecksumMode : std::uint8_t {
  pseudo_header,  // RFC 5798: pseudo-header + message (the only choice for IPv6)
  message_only,   // old IPv4 VRRPv3 convention, and VRRPv2
};

// Ones' complement sum of `data` (big-endian 16-bit words, odd byte padded) added to `sum`,
// not yet folded.
std::uint32_t ones_sum(std::span<const std::uint8_t> data, std::uint32_t sum = 0);
// Folds a ones' complement sum to 16 bits and complements it.
std::uint16_t fold_complement(std::uint32_t sum);
// Sum of the IPv4 or IPv6 pseudo-header for protocol 112 and a payload of `length` bytes.
std::uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, std::uint32_t length);

// The checksum of a VRRP message whose checksum field (bytes 6-7) is taken as zero.
// `mode` is ignored for IPv6 (always pseudo-header).
std::uint16_t vrrp_checksum(std::span<const std::uint8_t> message, const IpAddr& src,
                            const IpAddr& dst, ChecksumMode mode);

}  // namespace baton::vrrp
