#include "sync/conn.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include <fmt/format.h>


namespace baton::sync {

namespace {

bool has_ports(std::uint8_t proto) {
  return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
         proto == IPPROTO_DCCP || proto == IPPROTO_UDPLITE;
}

void words(const std::array<std::uint8_t, 16>& a, std::uint8_t family, std::uint32_t out[4]) {
  const int n = family == 6 ? 4 : 1;
  for (int i = 0; i < 4; ++i) out[i] = 0;
  for (int i = 0; i < n; ++i) {
    const auto* p = a.data() + 4 * i;
    out[i] = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
             (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  }
}

std::string addr(const std::array<std::uint8_t, 16>& a, std::uint8_t family) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 6 ? AF_INET6 : AF_INET, a.data(), buf, sizeof buf);
  return buf;
}

std::string proto_name(std::uint8_t proto) {
  switch (proto) {
    case IPPROTO_TCP: return "tcp";
    case IPPROTO_UDP: return "udp";
    case IPPROTO_SCTP: return "sctp";
    case IPPROTO_DCCP: return "dccp";
    case IPPROTO_UDPLITE: return "udplite";
    case IPPROTO_ICMP: return "icmp";
    case IPPROTO_ICMPV6: return "icmpv6";
    default: return fmt::format("proto {}", proto);
  }
}

}  // namespace

// A multiply-xorshift mix of the key's 38 bytes in five 64-bit words. It runs on every lookup
// of the streams' and the Replicator's maps, and for every node when one of them grows
// (std::unordered_map does not cache the hash of a noexcept hasher): a byte-wise CRC here made
// rehashing 42 000 entries take about 30 ms, the whole lag tail of the benchmark's paced runs.
std::size_t ConnKeyHash::operator()(const ConnKey& k) const noexcept {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  auto step = [](std::uint64_t h, std::uint64_t v) {
    h = (h ^ v) * kMul;
    return h ^ (h >> 29);
  };
  std::uint64_t w[4];
  std::memcpy(&w[0], k.orig.src.data(), 8);
  std::memcpy(&w[1], k.orig.src.data() + 8, 8);
  std::memcpy(&w[2], k.orig.dst.data(), 8);
  std::memcpy(&w[3], k.orig.dst.data() + 8, 8);
  std::uint64_t h = std::uint64_t{k.family} | std::uint64_t{k.proto} << 8 |
                    std::uint64_t{k.orig.sport} << 16 | std::uint64_t{k.orig.dport} << 32;
  h = step(kMul, h);
  for (std::uint64_t v : w) h = step(h, v);
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ULL;
  return static_cast<std::size_t>(h ^ (h >> 32));
}

dist::Packet flow_packet(const ConnKey& k) {
  dist::Packet p{};
  p.family = k.family;
  p.proto = k.proto;
  p.outer_proto = k.proto;
  words(k.orig.src, k.family, p.src);
  words(k.orig.dst, k.family, p.dst);
  if (has_ports(k.proto)) {
    p.sport = k.orig.sport;
    p.dport = k.orig.dport;
    p.flags = BATON_PKT_HAS_PORTS;
  }
  return p;
}

std::uint32_t bucket_of(const ConnKey& k, dist::Mode mode, std::uint32_t seed,
                        std::uint32_t buckets) {
  const dist::Packet p = flow_packet(k);
  return dist::bucket_of(dist::flow_hash(p, mode, seed), buckets);
}

std::string to_string(const ConnKey& k) {
  const std::string s = addr(k.orig.src, k.family), d = addr(k.orig.dst, k.family);
  if (has_ports(k.proto)) {
    if (k.family == 6)
      return fmt::format("{} [{}]:{} -> [{}]:{}", proto_name(k.proto), s, k.orig.sport, d,
                         k.orig.dport);
    return fmt::format("{} {}:{} -> {}:{}", proto_name(k.proto), s, k.orig.sport, d,
                       k.orig.dport);
  }
  if (k.proto == IPPROTO_ICMP || k.proto == IPPROTO_ICMPV6)
    return fmt::format("{} {} -> {} id {} type {} code {}", proto_name(k.proto), s, d,
                       k.orig.sport, k.orig.dport >> 8, k.orig.dport & 0xFF);
  return fmt::format("{} {} -> {}", proto_name(k.proto), s, d);
}

}  // namespace baton::sync
