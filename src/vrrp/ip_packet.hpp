// Whole IPv4/IPv6 packets carrying VRRP: built for tests, captures and the corpus, and
// parsed for the IPv4 raw socket (which hands up the IP header) and for captured frames.
// IPv6 extension headers are not followed: a VRRP packet from a router carries none.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "vrrp/addr.hpp"
#include "vrrp/drop.hpp"
#include "vrrp/validate.hpp"

namespace baton::vrrp {

// An IPv4 header (20 bytes, no options, DF clear, protocol 112, header checksum filled) or
// an IPv6 header (next header 112) followed by `payload`.
std::vector<std::uint8_t> encode_ip_packet(const IpAddr& src, const IpAddr& dst, std::uint8_t ttl,
                                           std::span<const std::uint8_t> payload);

// Parses an IP packet (no link-layer header): version, header length, total/payload length,
// IPv4 header checksum, protocol 112. The RxPacket's payload points into `packet`; bytes
// past the IP length (link-layer padding) are ignored. Anything else is not-ip.
Verdict<RxPacket> parse_ip_packet(std::span<const std::uint8_t> packet);

// Same for an Ethernet frame (optionally one 802.1Q tag), as tcpdump/pcap captures give.
Verdict<RxPacket> parse_ethernet_frame(std::span<const std::uint8_t> frame);

}  // namespace baton::vrrp
