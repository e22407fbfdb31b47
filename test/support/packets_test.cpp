// Tests of the test support library: the frame builder (lengths, next-header chains,
// checksums checked independently of the code that wrote them) and the flow seed corpus.
#include "support/packets.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "core/crc32c.hpp"
#include "dist/flow.hpp"
#include "support/flow_seeds.hpp"

namespace baton::test {
namespace {

std::uint16_t be16(const Bytes& b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

// One's-complement sum of data (plus a pseudo-header), folded: 0xFFFF means "verifies".
std::uint32_t ones_sum(std::span<const std::uint8_t> d, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i < d.size(); i += 2)
    acc += static_cast<std::uint32_t>(d[i] << 8) | (i + 1 < d.size() ? d[i + 1] : 0u);
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return acc;
}

std::uint32_t pseudo4(const Bytes& b, std::size_t ip, std::uint8_t proto, std::size_t len) {
  return ones_sum(std::span(b).subspan(ip + 12, 8)) + proto + static_cast<std::uint32_t>(len);
}

std::uint32_t pseudo6(const Bytes& b, std::size_t ip, std::uint8_t proto, std::size_t len) {
  return ones_sum(std::span(b).subspan(ip + 8, 32)) + proto + static_cast<std::uint32_t>(len);
}

TEST(Packets, KnownAnswerIpv4TcpWithVlan) {
  // Checked against tcpdump -vv ("cksum 0xb33a (correct)").
  const Bytes want = {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x0a,
      0x08, 0x00, 0x45, 0x00, 0x00, 0x2b, 0x00, 0x01, 0x00, 0x00, 0x01, 0x06, 0xa5, 0xca, 0x0a, 0x00,
      0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
      0x00, 0x00, 0x50, 0x02, 0xff, 0xff, 0xb3, 0x3a, 0x00, 0x00, 0xa5, 0xa5, 0xa5, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  const Bytes got = Frame()
                        .eth()
                        .vlan(10)
                        .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), {.ttl = 1})
                        .tcp(40000, 443, {.flags = kTcpSyn})
                        .payload(3)
                        .pad_to(80)
                        .bytes();
  EXPECT_EQ(got, want) << hex(got);
}

TEST(Packets, Ipv4ChecksumsVerify) {
  const Ip4 a = ip4("192.0.2.1"), b = ip4("198.51.100.200");
  for (std::size_t pl = 0; pl < 8; ++pl) {
    for (int kind = 0; kind < 4; ++kind) {
      Frame f;
      f.eth().ipv4(a, b, {.options = Bytes(4 * (pl % 3), 1)});
      if (kind == 0) f.tcp(1, 2, {.options = Bytes(pl, 1)});
      if (kind == 1) f.udp(1, 2);
      if (kind == 2) f.icmp4_echo(3, 4);
      if (kind == 3) f.icmp4_error(3, 1, Frame().ipv4(b, a).udp(9, 9).payload(pl), 28);
      f.payload(pl, static_cast<std::uint8_t>(0xF0 + pl));
      const Bytes bytes = f.bytes();
      const auto lay = f.layout();
      const std::size_t ip = lay[1].offset, ihl = lay[1].header_len, l4 = lay[2].offset;
      ASSERT_EQ(ip, 14u);
      EXPECT_EQ(be16(bytes, 12), kEthIp4);
      EXPECT_EQ(ihl, 20 + 4 * (pl % 3));
      EXPECT_EQ(bytes[ip] & 0x0F, ihl / 4);
      EXPECT_EQ(be16(bytes, ip + 2), bytes.size() - ip);
      EXPECT_EQ(ones_sum(std::span(bytes).subspan(ip, ihl)), 0xFFFFu) << "IPv4 header checksum";
      const std::size_t len = bytes.size() - l4;
      const auto seg = std::span(bytes).subspan(l4);
      if (kind == 0) {
        EXPECT_EQ(ones_sum(seg, pseudo4(bytes, ip, 6, len)), 0xFFFFu) << "TCP";
      }
      if (kind == 1) {
        EXPECT_EQ(be16(bytes, l4 + 4), len);
        EXPECT_EQ(ones_sum(seg, pseudo4(bytes, ip, 17, len)), 0xFFFFu) << "UDP";
      }
      if (kind >= 2) {
        EXPECT_EQ(ones_sum(seg), 0xFFFFu) << "ICMP";
      }
      EXPECT_EQ(bytes[ip + 9], kind == 0 ? 6 : kind == 1 ? 17 : 1);
    }
  }
  // bad_checksum really is bad.
  const Bytes bad = Frame().eth().ipv4(a, b, {.bad_checksum = true}).udp(1, 2).bytes();
  EXPECT_NE(ones_sum(std::span(bad).subspan(14, 20)), 0xFFFFu);
}

TEST(Packets, Ipv6ExtensionChainAndChecksumsVerify) {
  const Ip6 a = ip6("2001:db8::1"), b = ip6("2001:db8::2");
  Frame f;
  f.eth().ipv6(a, b).hop_by_hop().routing(4, {ip6("2001:db8::99")}).frag6(0, false).ah().dst_opts(2).udp(7, 8).payload(5);
  const Bytes bytes = f.bytes();
  const auto lay = f.layout();
  ASSERT_EQ(lay.size(), 9u);
  EXPECT_EQ(be16(bytes, 12), kEthIp6);
  EXPECT_EQ(be16(bytes, 14 + 4), bytes.size() - 14 - 40) << "payload length";
  // Next-header chain: IPv6 -> 0 -> 43 -> 44 -> 51 -> 60 -> 17.
  const std::uint8_t chain[] = {0, 43, 44, 51, 60, 17};
  EXPECT_EQ(bytes[14 + 6], chain[0]);
  for (std::size_t i = 2; i <= 6; ++i) EXPECT_EQ(bytes[lay[i].offset], chain[i - 1]) << i;
  // Header lengths: hop-by-hop 8, routing 8 + 16, fragment 8, AH 24, destination options 24.
  const std::size_t lens[] = {8, 24, 8, 24, 24};
  for (std::size_t i = 2; i <= 6; ++i) {
    EXPECT_EQ(lay[i].header_len, lens[i - 2]) << layer_name(lay[i].kind);
    if (lay[i].kind == Layer::ah) {
      EXPECT_EQ((bytes[lay[i].offset + 1] + 2u) * 4, lay[i].header_len);
    } else if (lay[i].kind != Layer::frag6) {
      EXPECT_EQ((bytes[lay[i].offset + 1] + 1u) * 8, lay[i].header_len);
    }
  }
  const std::size_t l4 = lay[7].offset;
  EXPECT_EQ(ones_sum(std::span(bytes).subspan(l4), pseudo6(bytes, 14, 17, bytes.size() - l4)), 0xFFFFu);
  // TCP and ICMPv6 with the pseudo-header.
  const Bytes t = Frame().eth().ipv6(a, b).tcp(1, 2).payload(3).bytes();
  EXPECT_EQ(ones_sum(std::span(t).subspan(54), pseudo6(t, 14, 6, t.size() - 54)), 0xFFFFu);
  const Bytes e = Frame().eth().ipv6(a, b).icmp6_error(1, 0, Frame().ipv6(b, a).udp(1, 2), 48).bytes();
  EXPECT_EQ(e.size(), 14u + 40 + 8 + 48);
  EXPECT_EQ(ones_sum(std::span(e).subspan(54), pseudo6(e, 14, 58, e.size() - 54)), 0xFFFFu);
  // With segments left, the pseudo-header carries the final destination from the routing
  // header: an SRH's first segment, a type 2 header's (last) address.
  const Ip6 fin = ip6("2001:db8:f::1"), mid = ip6("2001:db8:e::1");
  for (std::uint8_t type : {std::uint8_t{4}, std::uint8_t{2}}) {
    const Bytes r = Frame().eth().ipv6(a, mid).routing(type, {fin}, 1).udp(1, 2).payload(3).bytes();
    Bytes pseudo(r.begin() + 22, r.begin() + 38);  // source
    pseudo.insert(pseudo.end(), fin.b.begin(), fin.b.end());
    const std::size_t off = 54 + 24;
    EXPECT_EQ(ones_sum(std::span(r).subspan(off), ones_sum(pseudo) + 17 + static_cast<std::uint32_t>(r.size() - off)), 0xFFFFu)
        << int{type};
  }
  // Fragment header fields.
  const Bytes fr = Frame().eth().ipv6(a, b).frag6(0x1FFF, true, 0xAABBCCDD, 6).payload(8).bytes();
  EXPECT_EQ(fr[54], 6);
  EXPECT_EQ(be16(fr, 56), 0xFFF9);
  EXPECT_EQ(be16(fr, 58), 0xAABB);
}

TEST(Packets, SctpCrc32cLittleEndianOnTheWire) {
  const Bytes b = Frame().eth().ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).sctp(5, 6, 0x01020304).payload(12).bytes();
  Bytes zeroed(b.begin() + 34, b.end());
  const std::uint32_t stored = zeroed[8] | (zeroed[9] << 8) | (zeroed[10] << 16) | (static_cast<std::uint32_t>(zeroed[11]) << 24);
  zeroed[8] = zeroed[9] = zeroed[10] = zeroed[11] = 0;
  EXPECT_EQ(stored, crc32c(zeroed));
  EXPECT_EQ(be16(b, 34), 5);
  EXPECT_EQ(be16(b, 36), 6);
}

TEST(Packets, L2TypesVlanTagsAndPadding) {
  const Bytes q = Frame().eth().qinq(0x123, 0x456).ipv4(ip4("1.2.3.4"), ip4("5.6.7.8")).udp(1, 2).pad_to(100).trailer({1, 2}).bytes();
  EXPECT_EQ(q.size(), 102u);
  EXPECT_EQ(be16(q, 12), kTpid8021AD);
  EXPECT_EQ(be16(q, 14), 0x123);
  EXPECT_EQ(be16(q, 16), kTpid8021Q);
  EXPECT_EQ(be16(q, 18), 0x456);
  EXPECT_EQ(be16(q, 20), kEthIp4);
  EXPECT_EQ(be16(q, 22 + 2), 28) << "IPv4 total length excludes the padding";
  EXPECT_EQ(q[100], 1);
  const Bytes arp = Frame().eth().vlan(9, kTpid8021Q, 5).arp_request(ip4("10.0.0.1"), ip4("10.0.0.2")).bytes();
  EXPECT_EQ(be16(arp, 14), (5 << 13) | 9);
  EXPECT_EQ(be16(arp, 16), kEthArp);
  EXPECT_EQ(arp.size(), 18u + 28);
  EXPECT_EQ(be16(arp, 18 + 6), 1) << "request";
  const Bytes typed = Frame().eth({.type = 0x88CC}).payload(4).bytes();
  EXPECT_EQ(be16(typed, 12), 0x88CC);
}

TEST(Packets, IcmpErrorQuotesTheInnerPacketFromItsIpHeader) {
  const Frame inner = Frame().eth().vlan(3).ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).tcp(1, 2).payload(100).pad_to(200);
  const Bytes l3 = inner.l3_bytes();
  EXPECT_EQ(l3.size(), 140u) << "no L2, no padding";
  EXPECT_EQ(l3[0], 0x45);
  for (std::size_t max : {std::size_t{0}, std::size_t{28}, std::size_t{139}, std::size_t{140}, SIZE_MAX}) {
    const Frame f = Frame().eth().ipv4(ip4("192.0.2.1"), ip4("10.0.0.1")).icmp4_error(11, 0, inner, max);
    const Bytes b = f.bytes();
    const std::size_t quoted = std::min<std::size_t>(max, l3.size());
    ASSERT_EQ(b.size(), 14u + 20 + 8 + quoted);
    EXPECT_TRUE(std::equal(l3.begin(), l3.begin() + static_cast<std::ptrdiff_t>(quoted), b.begin() + 42));
    EXPECT_EQ(f.layout().back().total_len, 8 + quoted);
  }
}

TEST(Packets, AddressesAndHelpers) {
  EXPECT_EQ(ip4("10.0.0.1").v, 0x0A000001u);
  EXPECT_EQ(to_string(ip4("138.0.0.1")), "138.0.0.1");
  const Ip6 a = ip6("2001:db8::8000:1");
  EXPECT_EQ(a.words()[0], 0x20010DB8u);
  EXPECT_EQ(a.words()[3], 0x80000001u);
  EXPECT_EQ(ip6(0x20010DB8u, 0, 0, 0x80000001u), a);
  EXPECT_EQ(to_string(a), "2001:db8::8000:1");
  const Bytes d = {1, 2, 3};
  ExactBuffer e(d);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e.data()[2], 3);
  ExactBuffer empty(std::span<const std::uint8_t>{});
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(hex(d), "01 02 03");
  EXPECT_EQ(inet_checksum(Bytes{0x45, 0x00}), 0xBAFF);
}

// ---- the flow_parse seed corpus ------------------------------------------------------------

TEST(FlowSeeds, EverySeedParsesAsExpectedAndEveryResultHasASeed) {
  std::set<std::string> names;
  std::set<int> codes;
  for (const FlowSeed& s : flow_seeds()) {
    EXPECT_TRUE(names.insert(s.name).second) << "duplicate seed " << s.name;
    ExactBuffer buf(s.frame);
    dist::Packet p{};
    const int rc = dist::parse_frame_raw(buf.span(), p);
    EXPECT_EQ(dist::parse_result_name(rc), dist::parse_result_name(s.expected)) << s.name;
    codes.insert(rc);
  }
  EXPECT_GE(names.size(), 30u);
  for (int c = 0; c < BATON_PARSE_RESULT_COUNT; ++c)
    EXPECT_TRUE(codes.count(c)) << "no seed for " << dist::parse_result_name(c);
}

TEST(FlowSeeds, CommittedCorpusMatchesTheGenerator) {
  namespace fs = std::filesystem;
  const fs::path dir = BATON_FLOW_CORPUS_DIR;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  for (const FlowSeed& s : flow_seeds()) {
    const fs::path path = dir / (s.name + ".bin");
    std::ifstream f(path, std::ios::binary);
    ASSERT_TRUE(f) << path << " missing: run gen_flow_corpus " << dir;
    const Bytes got((std::istreambuf_iterator<char>(f)), {});
    EXPECT_EQ(got, s.frame) << path << " is stale: run gen_flow_corpus " << dir;
  }
}

}  // namespace
}  // namespace baton::test
