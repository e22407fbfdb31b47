// A connection as HyperSync carries it (DESIGN §3, docs/hypersync.md): the kernel conntrack
// entry reduced to what another member needs to let the connection's next packet through.
//
// The key is the original-direction tuple (family, protocol, addresses, ports or ICMP
// id/type/code). The bucket is the data path's: the symmetric flow hash of that tuple, so a
// connection's bucket is the bucket the XDP program sends its packets to.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "dist/flow.hpp"

namespace baton::sync {

// One direction of a connection. Addresses in network byte order; an IPv4 address is in the
// first 4 bytes, the rest zero. For TCP, UDP, SCTP, DCCP, UDP-Lite: ports in host order. For
// ICMP / ICMPv6: `sport` is the echo id, `dport` is (type << 8) | code.
struct Tuple {
  std::array<std::uint8_t, 16> src{};
  std::array<std::uint8_t, 16> dst{};
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  bool operator==(const Tuple&) const = default;
};

// What identifies a connection on every member: family, protocol and the original tuple.
struct ConnKey {
  std::uint8_t family = 4;  // 4 or 6
  std::uint8_t proto = 0;   // IP protocol number
  Tuple orig;
  bool operator==(const ConnKey&) const = default;
};

struct ConnKeyHash {
  std::size_t operator()(const ConnKey& k) const noexcept;
};

// The state carried. `timeout_s` is the remaining lifetime when the state was read.
struct Conn {
  ConnKey key;
  Tuple reply;                  // the reply-direction tuple (differs from orig under NAT)
  std::uint32_t status = 0;     // IPS_* bits (linux/netfilter/nf_conntrack_common.h)
  std::uint32_t timeout_s = 0;
  std::uint32_t mark = 0;
  std::uint16_t zone = 0;
  std::uint8_t tcp_state = 0;   // TCP_CONNTRACK_* (TCP only; 0 otherwise)
  bool operator==(const Conn&) const = default;
};

// The data path's view of the key: the packet the XDP program would parse from the
// connection's original-direction packets.
dist::Packet flow_packet(const ConnKey& k);

// The connection's bucket in a table of `buckets` buckets (same hash as the data path).
std::uint32_t bucket_of(const ConnKey& k, dist::Mode mode, std::uint32_t seed,
                        std::uint32_t buckets);

// "tcp 10.0.1.10:40000 -> 203.0.113.10:7007", "icmp 10.0.1.10 -> 203.0.113.10 id 7",
// "ipv6 proto 47 2001:db8::1 -> 2001:db8::2": for logs and batonctl.
std::string to_string(const ConnKey& k);

}  // namespace baton::sync
