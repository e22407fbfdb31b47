#include "support/flow_seeds.hpp"

#include <utility>

#include "dist/flow.hpp"

namespace baton::test {
namespace {

// The datagram cut to `ip_len` bytes of IP (header included), its IPv4 total length / IPv6
// payload length rewritten to match: a well-formed IP header over a short transport header.
Bytes cut_datagram(const Frame& f, std::size_t ip_len) {
  Bytes b = f.bytes();
  for (const LayerSpan& l : f.layout()) {
    if (l.kind == Layer::ipv4) {
      b.resize(l.offset + ip_len);
      b[l.offset + 2] = static_cast<std::uint8_t>(ip_len >> 8);
      b[l.offset + 3] = static_cast<std::uint8_t>(ip_len);
      b[l.offset + 10] = b[l.offset + 11] = 0;
      const std::uint16_t c = inet_checksum(std::span(b).subspan(l.offset, l.header_len));
      b[l.offset + 10] = static_cast<std::uint8_t>(c >> 8);
      b[l.offset + 11] = static_cast<std::uint8_t>(c);
      return b;
    }
    if (l.kind == Layer::ipv6) {
      b.resize(l.offset + ip_len);
      b[l.offset + 4] = static_cast<std::uint8_t>((ip_len - 40) >> 8);
      b[l.offset + 5] = static_cast<std::uint8_t>(ip_len - 40);
      return b;
    }
  }
  return b;
}

}  // namespace

std::vector<FlowSeed> flow_seeds() {
  const Ip4 c4 = ip4("10.0.0.1"), s4 = ip4("138.0.0.1"), r4 = ip4("192.0.2.254");
  const Ip6 c6 = ip6("2001:db8::1"), s6 = ip6("2001:db8:0:1:8000::2"), r6 = ip6("2001:db8:ff::fe");
  std::vector<FlowSeed> out;
  auto add = [&](std::string name, Bytes frame, int expected) {
    out.push_back({std::move(name), std::move(frame), expected});
  };
  auto ok = [&](std::string name, const Frame& f) { add(std::move(name), f.bytes(), BATON_PARSE_OK); };

  // IPv4.
  ok("v4-tcp-syn", Frame().eth().ipv4(c4, s4).tcp(40000, 443, {.flags = kTcpSyn, .options = {2, 4, 5, 180}}));
  ok("v4-tcp-options", Frame().eth().ipv4(c4, s4, {.options = {0x94, 4, 0, 0}}).tcp(40000, 443, {.options = Bytes(12, 1)}).payload(16));
  ok("v4-udp-dns", Frame().eth().ipv4(c4, s4).udp(53000, 53).payload(30));
  ok("v4-sctp", Frame().eth().ipv4(c4, s4).sctp(36412, 36412).payload(16));
  ok("v4-icmp-echo", Frame().eth().ipv4(c4, s4).icmp4_echo(0x1234, 1).payload(56));
  ok("v4-gre", Frame().eth().ipv4(c4, s4, {.proto = 47}).payload(24));
  ok("v4-vlan-tcp", Frame().eth().vlan(100).ipv4(c4, s4).tcp(1024, 22).payload(8));
  ok("v4-qinq-udp", Frame().eth().qinq(10, 20).ipv4(s4, c4).udp(123, 123).payload(48));
  ok("v4-udp-padded", Frame().eth().ipv4(c4, s4).udp(5000, 5001).payload(2).pad_to(60));
  ok("v4-first-fragment", Frame().eth().ipv4(c4, s4, {.id = 7, .mf = true}).udp(5000, 5001).payload(64));
  ok("v4-later-fragment", Frame().eth().ipv4(c4, s4, {.id = 7, .frag_offset = 9, .proto = 17}).payload(40));
  {
    const Frame q = Frame().ipv4(c4, s4).tcp(40000, 443).payload(20);
    ok("v4-icmp-unreach-tcp", Frame().eth().ipv4(r4, c4).icmp4_error(3, 3, q));
    ok("v4-icmp-frag-needed", Frame().eth().ipv4(r4, c4).icmp4_error(3, 4, q, SIZE_MAX, 1400));
    const Frame u = Frame().ipv4(s4, c4, {.options = Bytes(8, 1)}).udp(53, 53000).payload(30);
    ok("v4-icmp-ttl-udp-cut8", Frame().eth().vlan(5).ipv4(r4, s4).icmp4_error(11, 0, u, 28 + 8));
    ok("v4-icmp-paramprob-sctp", Frame().eth().ipv4(r4, c4).icmp4_error(12, 0, Frame().ipv4(c4, s4).sctp(1, 2), SIZE_MAX, 0x14000000));
  }
  // IPv6.
  ok("v6-tcp", Frame().eth().ipv6(c6, s6).tcp(40000, 443, {.options = Bytes(8, 1)}).payload(10));
  ok("v6-udp-ext-chain", Frame().eth().ipv6(c6, s6).hop_by_hop().routing(4, {s6}).dst_opts(1).ah().udp(546, 547).payload(8));
  ok("v6-sctp-vlan", Frame().eth().vlan(7).ipv6(c6, s6).sctp(2905, 2905).payload(20));
  ok("v6-icmp6-echo", Frame().eth().ipv6(c6, s6).icmp6_echo(1, 1).payload(32));
  ok("v6-first-fragment", Frame().eth().ipv6(c6, s6).frag6(0, true, 99).tcp(40000, 443).payload(64));
  ok("v6-later-fragment-dstopts", Frame().eth().ipv6(c6, s6).frag6(20, false, 99, 60).payload(Bytes(24, 0xFF)));
  ok("v6-atomic-fragment", Frame().eth().ipv6(c6, s6).frag6(0, false, 5).udp(4500, 4500).payload(4));
  ok("v6-padded-trailer", Frame().eth().ipv6(c6, s6).udp(1, 2).trailer(Bytes(4, 0xEE)));
  {
    const Frame q = Frame().ipv6(c6, s6).tcp(40000, 443).payload(40);
    ok("v6-icmp6-unreach-tcp", Frame().eth().ipv6(r6, c6).icmp6_error(1, 4, q));
    const Frame big = Frame().ipv6(c6, s6).dst_opts().udp(4000, 4001).payload(1400);
    ok("v6-icmp6-packet-too-big", Frame().eth().ipv6(r6, c6).icmp6_error(2, 0, big, 1232, 1280));
    const Frame u = Frame().ipv6(s6, c6).hop_by_hop().udp(53, 53000).payload(30);
    ok("v6-icmp6-time-exceeded-cut8", Frame().eth().ipv6(r6, s6).icmp6_error(3, 0, u, 40 + 8 + 8));
    ok("v6-icmp6-paramprob-fragment", Frame().eth().ipv6(r6, c6).icmp6_error(4, 0, Frame().ipv6(c6, s6).frag6(0, true).tcp(1, 2)));
  }
  // Not IP.
  add("arp-request", Frame().eth({.dst = Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}).arp_request(c4, s4).pad_to(60).bytes(), BATON_PARSE_NOT_IP);
  add("lldp", Frame().eth({.type = 0x88CC}).payload(46).bytes(), BATON_PARSE_NOT_IP);
  // One frame per rejection reason.
  const Bytes tcp_frame = Frame().eth().ipv4(c4, s4).tcp(1, 2).bytes();
  add("err-eth-truncated", Bytes(tcp_frame.begin(), tcp_frame.begin() + 10), BATON_ERR_ETH_TRUNC);
  {
    const Bytes v = Frame().eth().vlan(3).ipv4(c4, s4).tcp(1, 2).bytes();
    add("err-vlan-truncated", Bytes(v.begin(), v.begin() + 16), BATON_ERR_VLAN_TRUNC);
  }
  add("err-vlan-depth", Frame().eth().qinq(1, 2).vlan(3).ipv4(c4, s4).udp(1, 2).bytes(), BATON_ERR_VLAN_DEPTH);
  add("err-ipv4-truncated", Bytes(tcp_frame.begin(), tcp_frame.end() - 1), BATON_ERR_IP4_TRUNC);
  add("err-ipv4-version", Frame().eth().ipv4(c4, s4, {.version = 6}).udp(1, 2).bytes(), BATON_ERR_IP4_VERSION);
  add("err-ipv4-ihl", Frame().eth().ipv4(c4, s4, {.ihl = 4}).udp(1, 2).bytes(), BATON_ERR_IP4_IHL);
  add("err-ipv4-length", Frame().eth().ipv4(c4, s4, {.total_len = 19}).udp(1, 2).bytes(), BATON_ERR_IP4_LEN);
  add("err-ipv6-truncated", Frame().eth().ipv6(c6, s6, {.payload_len = 100}).udp(1, 2).bytes(), BATON_ERR_IP6_TRUNC);
  add("err-ipv6-version", Frame().eth().ipv6(c6, s6, {.version = 4}).udp(1, 2).bytes(), BATON_ERR_IP6_VERSION);
  add("err-ext-truncated", cut_datagram(Frame().eth().ipv6(c6, s6).dst_opts(2).udp(1, 2), 40 + 16), BATON_ERR_EXT_TRUNC);
  {
    Frame deep = Frame().eth().ipv6(c6, s6);
    for (int i = 0; i < 7; ++i) deep.dst_opts();
    add("err-ext-depth", deep.udp(1, 2).bytes(), BATON_ERR_EXT_DEPTH);
  }
  add("err-l4-truncated", cut_datagram(Frame().eth().ipv4(c4, s4).tcp(1, 2), 20 + 12), BATON_ERR_L4_TRUNC);
  add("err-tcp-doff", Frame().eth().ipv4(c4, s4).tcp(1, 2, {.doff = 4}).bytes(), BATON_ERR_TCP_DOFF);
  add("err-icmp-inner",
      Frame().eth().ipv4(r4, c4).icmp4_error(3, 1, Frame().ipv4(c4, s4).tcp(1, 2), 22).bytes(),
      BATON_ERR_ICMP_INNER);
  return out;
}

}  // namespace baton::test
