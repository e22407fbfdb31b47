#include "vrrp/ip_packet.hpp"

#include <algorithm>

#include "vrrp/checksum.hpp"

namespace baton::vrrp {
namespace {

constexpr std::size_t kIpv4HeaderBytes = 20;
constexpr std::size_t kIpv6HeaderBytes = 40;
constexpr std::size_t kEthernetBytes = 14;

std::uint16_t get16(std::span<const std::uint8_t> p, std::size_t at) {
  return static_cast<std::uint16_t>(p[at] << 8 | p[at + 1]);
}

void append(std::vector<std::uint8_t>& w, std::span<const std::uint8_t> b) {
  w.insert(w.end(), b.begin(), b.end());
}

Verdict<RxPacket> parse_ipv4(std::span<const std::uint8_t> p) {
  if (p.size() < kIpv4HeaderBytes) return DropReason::not_ip;
  std::size_t ihl = static_cast<std::size_t>(p[0] & 0xf) * 4;
  std::size_t total = get16(p, 2);
  if (ihl < kIpv4HeaderBytes || total < ihl || total > p.size()) return DropReason::not_ip;
  if (fold_complement(ones_sum(p.first(ihl))) != 0) return DropReason::not_ip;
  if ((get16(p, 6) & 0x3fff) != 0) return DropReason::not_ip;  // a fragment
  if (p[9] != kIpProtoVrrp) return DropReason::not_ip;
  RxPacket rx;
  rx.family = Family::ipv4;
  rx.ttl = p[8];
  rx.src = IpAddr::from_bytes(Family::ipv4, p.subspan(12, 4));
  rx.dst = IpAddr::from_bytes(Family::ipv4, p.subspan(16, 4));
  rx.payload = p.subspan(ihl, total - ihl);
  return rx;
}

Verdict<RxPacket> parse_ipv6(std::span<const std::uint8_t> p) {
  if (p.size() < kIpv6HeaderBytes) return DropReason::not_ip;
  std::size_t len = get16(p, 4);
  if (kIpv6HeaderBytes + len > p.size()) return DropReason::not_ip;
  if (p[6] != kIpProtoVrrp) return DropReason::not_ip;
  RxPacket rx;
  rx.family = Family::ipv6;
  rx.ttl = p[7];
  rx.src = IpAddr::from_bytes(Family::ipv6, p.subspan(8, 16));
  rx.dst = IpAddr::from_bytes(Family::ipv6, p.subspan(24, 16));
  rx.payload = p.subspan(kIpv6HeaderBytes, len);
  return rx;
}

}  // namespace

std::vector<std::uint8_t> encode_ip_packet(const IpAddr& src, const IpAddr& dst, std::uint8_t ttl,
                                           std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> w;
  if (src.family == Family::ipv4) {
    auto total = static_cast<std::uint16_t>(kIpv4HeaderBytes + payload.size());
    w = {0x45, 0xc0,  // version 4, IHL 5; DSCP CS6 (network control) as keepalived and FRR
         static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total & 0xff),
         0, 0, 0, 0,  // identification, flags, fragment offset
         ttl, kIpProtoVrrp, 0, 0};
    append(w, src.view());
    append(w, dst.view());
    std::uint16_t sum = fold_complement(ones_sum(w));
    w[10] = static_cast<std::uint8_t>(sum >> 8);
    w[11] = static_cast<std::uint8_t>(sum & 0xff);
  } else {
    auto len = static_cast<std::uint16_t>(payload.size());
    w = {0x6c, 0, 0, 0,  // version 6, traffic class CS6, flow label 0
         static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len & 0xff),
         kIpProtoVrrp, ttl};
    append(w, src.view());
    append(w, dst.view());
  }
  append(w, payload);
  return w;
}

Verdict<RxPacket> parse_ip_packet(std::span<const std::uint8_t> packet) {
  if (packet.empty()) return DropReason::not_ip;
  switch (packet[0] >> 4) {
    case 4: return parse_ipv4(packet);
    case 6: return parse_ipv6(packet);
    default: return DropReason::not_ip;
  }
}

Verdict<RxPacket> parse_ethernet_frame(std::span<const std::uint8_t> frame) {
  if (frame.size() < kEthernetBytes) return DropReason::not_ip;
  std::size_t at = 12;
  std::uint16_t type = get16(frame, at);
  if (type == 0x8100) {
    if (frame.size() < kEthernetBytes + 4) return DropReason::not_ip;
    at += 4;
    type = get16(frame, at);
  }
  auto ip = frame.subspan(at + 2);
  if (type == 0x0800 && !ip.empty() && ip[0] >> 4 == 4) return parse_ipv4(ip);
  if (type == 0x86dd && !ip.empty() && ip[0] >> 4 == 6) return parse_ipv6(ip);
  return DropReason::not_ip;
}

}  // namespace baton::vrrp
