// Tests of the shared flow header (baton_flow.h) through its C++ view (dist/flow.hpp):
// parsing, the symmetric hash, ICMP errors, fragments, malformed and truncated frames, and the
// spread of flows over buckets. Every frame is parsed from an exactly-sized heap buffer, so a
// read past its end is an ASan error in the sanitizer build. Random cases come from seeded
// std::mt19937 generators: the runs are deterministic.
#include "dist/flow.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support/packets.hpp"

namespace baton::dist {
namespace {

using test::Bytes;
using test::ExactBuffer;
using test::Frame;
using test::Ip4;
using test::Ip4Opts;
using test::Ip6;
using test::Layer;
using test::LayerSpan;
using test::ip4;
using test::ip6;

constexpr Mode kModes[] = {Mode::general, Mode::general_l4};

// ---- parsing helpers -----------------------------------------------------------------------

struct Parsed {
  int rc;
  Packet pkt;
};

// Parses a copy of `frame` in an exactly-sized heap buffer. The packet is pre-filled with two
// different garbage patterns and both parses must agree byte for byte: the parser writes every
// field it leaves behind, whatever the outcome (the BPF verifier rejects reads of unwritten
// stack, and callers log the fields of rejected frames).
Parsed parse(std::span<const std::uint8_t> frame) {
  ExactBuffer buf(frame);
  Packet a;
  Packet b;
  std::memset(&a, 0x00, sizeof a);
  std::memset(&b, 0xFF, sizeof b);
  int rc_a = parse_frame_raw(buf.span(), a);
  int rc_b = parse_frame_raw(buf.span(), b);
  EXPECT_EQ(rc_a, rc_b);
  EXPECT_EQ(0, std::memcmp(&a, &b, sizeof a))
      << "parse left a field unwritten (rc " << parse_result_name(rc_a) << ")";
  return {rc_a, a};
}

Packet parse_ok(std::span<const std::uint8_t> frame) {
  Parsed p = parse(frame);
  EXPECT_EQ(p.rc, BATON_PARSE_OK) << parse_result_name(p.rc) << "\n" << test::hex(frame);
  return p.pkt;
}

std::uint32_t hash_of(std::span<const std::uint8_t> frame, Mode mode) {
  return flow_hash(parse_ok(frame), mode);
}

std::string code_name(int rc) { return std::string(parse_result_name(rc)); }

// ---- random flows --------------------------------------------------------------------------

enum class L4 { tcp, udp, sctp, echo, none };

struct Flow {
  int family = 4;
  Ip4 a4, b4;
  Ip6 a6, b6;
  std::uint16_t sport = 0, dport = 0;
  L4 l4 = L4::tcp;
};

std::uint32_t r32(std::mt19937& rng) { return static_cast<std::uint32_t>(rng()); }
std::uint16_t r16(std::mt19937& rng) { return static_cast<std::uint16_t>(rng()); }

Bytes random_bytes(std::mt19937& rng, std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// Addresses drawn to stress the canonical order: random, 2^31 apart, equal, neighbours, and
// (IPv6) equal except for the top bit of one word.
Flow random_flow(std::mt19937& rng, int family = 0, std::optional<L4> l4 = std::nullopt) {
  Flow f;
  f.family = family != 0 ? family : (rng() % 2 ? 4 : 6);
  const auto shape = rng() % 6;
  std::uint32_t w[4] = {r32(rng), r32(rng), r32(rng), r32(rng)};
  std::uint32_t v[4] = {r32(rng), r32(rng), r32(rng), r32(rng)};
  switch (shape) {
    case 0:
    case 1:
      break;  // unrelated
    case 2:   // 2^31 apart: differ only in the top bit of one word
      std::copy(w, w + 4, v);
      v[f.family == 4 ? 0 : rng() % 4] ^= 0x80000000u;
      break;
    case 3:  // the same address (ports decide the order)
      std::copy(w, w + 4, v);
      break;
    case 4:  // neighbours
      std::copy(w, w + 4, v);
      v[f.family == 4 ? 0 : 3] ^= 1u;
      break;
    case 5:  // words differing with opposite top bits everywhere
      for (int i = 0; i < 4; ++i) {
        w[i] |= 0x80000000u;
        v[i] &= 0x7FFFFFFFu;
      }
      break;
  }
  f.a4 = Ip4{w[0]};
  f.b4 = Ip4{v[0]};
  f.a6 = ip6(w[0], w[1], w[2], w[3]);
  f.b6 = ip6(v[0], v[1], v[2], v[3]);
  f.sport = r16(rng);
  f.dport = rng() % 4 == 0 ? static_cast<std::uint16_t>(f.sport ^ 0x8000u) : r16(rng);
  if (l4) {
    f.l4 = *l4;
  } else {
    static constexpr L4 kL4[] = {L4::tcp, L4::udp, L4::sctp, L4::echo, L4::none};
    f.l4 = kL4[rng() % 5];
  }
  return f;
}

Flow reversed(Flow f) {
  std::swap(f.a4, f.b4);
  std::swap(f.a6, f.b6);
  std::swap(f.sport, f.dport);
  return f;
}

std::string describe(const Flow& f) {
  std::string s = f.family == 4 ? test::to_string(f.a4) + " > " + test::to_string(f.b4)
                                : test::to_string(f.a6) + " > " + test::to_string(f.b6);
  return s + " ports " + std::to_string(f.sport) + " > " + std::to_string(f.dport) + " l4 " +
         std::to_string(static_cast<int>(f.l4));
}

std::uint8_t proto_number(const Flow& f) {
  switch (f.l4) {
    case L4::tcp: return 6;
    case L4::udp: return 17;
    case L4::sctp: return 132;
    case L4::echo: return f.family == 4 ? 1 : 58;
    case L4::none: return f.family == 4 ? 253 : 59;
  }
  return 0;
}

// Appends the transport header of the flow (and `payload` bytes) to fr.
Frame& add_l4(Frame& fr, const Flow& f, std::size_t payload = 0) {
  switch (f.l4) {
    case L4::tcp: fr.tcp(f.sport, f.dport); break;
    case L4::udp: fr.udp(f.sport, f.dport); break;
    case L4::sctp: fr.sctp(f.sport, f.dport); break;
    case L4::echo:
      if (f.family == 4) fr.icmp4_echo(f.sport, f.dport);
      else fr.icmp6_echo(f.sport, f.dport);
      break;
    case L4::none: break;
  }
  if (payload != 0 || f.l4 == L4::none) fr.payload(payload);
  return fr;
}

// The flow's packet from its IP header on (no L2).
Frame& add_ip(Frame& fr, const Flow& f, Ip4Opts o4 = {}) {
  if (f.family == 4) fr.ipv4(f.a4, f.b4, std::move(o4));
  else fr.ipv6(f.a6, f.b6);
  return fr;
}

Bytes frame_of(const Flow& f, std::size_t payload = 0) {
  Frame fr;
  fr.eth();
  add_ip(fr, f);
  return add_l4(fr, f, payload).bytes();
}

// ---- field-level parsing -------------------------------------------------------------------

TEST(FlowParse, Ipv4TcpFields) {
  Bytes b = Frame()
                .eth()
                .ipv4(ip4("10.1.2.3"), ip4("192.168.7.9"), {.ttl = 17})
                .tcp(40000, 443)
                .payload(5)
                .bytes();
  Packet p = parse_ok(b);
  EXPECT_EQ(p.family, 4);
  EXPECT_EQ(p.src[0], 0x0A010203u);
  EXPECT_EQ(p.dst[0], 0xC0A80709u);
  EXPECT_EQ(p.src[1] | p.src[2] | p.src[3] | p.dst[1] | p.dst[2] | p.dst[3], 0u);
  EXPECT_EQ(p.sport, 40000);
  EXPECT_EQ(p.dport, 443);
  EXPECT_EQ(p.proto, 6);
  EXPECT_EQ(p.outer_proto, 6);
  EXPECT_EQ(p.flags, BATON_PKT_HAS_PORTS);
  EXPECT_EQ(p.ttl, 17);
  EXPECT_EQ(p.vlans, 0);
  EXPECT_EQ(p.l3_off, 14);
  EXPECT_EQ(p.ethertype, 0x0800);
}

TEST(FlowParse, Ipv6UdpFieldsAfterExtensionHeaders) {
  const Ip6 a = ip6("2001:db8::1"), b = ip6("2001:db8:ffff::8000:2");
  Bytes f = Frame()
                .eth()
                .vlan(7)
                .ipv6(a, b, {.hop_limit = 3})
                .hop_by_hop()
                .routing(4, {ip6("2001:db8::99")})
                .dst_opts(2)
                .ah()
                .udp(53, 33000)
                .bytes();
  Packet p = parse_ok(f);
  EXPECT_EQ(p.family, 6);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(p.src[i], a.words()[i]);
    EXPECT_EQ(p.dst[i], b.words()[i]);
  }
  EXPECT_EQ(p.sport, 53);
  EXPECT_EQ(p.dport, 33000);
  EXPECT_EQ(p.proto, 17);
  EXPECT_EQ(p.flags, BATON_PKT_HAS_PORTS);
  EXPECT_EQ(p.ttl, 3);
  EXPECT_EQ(p.vlans, 1);
  EXPECT_EQ(p.l3_off, 18);
  EXPECT_EQ(p.ethertype, 0x86DD);
}

TEST(FlowParse, Ipv4OptionsSkipped) {
  for (std::size_t opt = 0; opt <= 40; opt += 4) {
    Bytes f = Frame()
                  .eth()
                  .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), {.options = Bytes(opt, 1)})
                  .udp(1234, 5678)
                  .bytes();
    Packet p = parse_ok(f);
    EXPECT_EQ(p.sport, 1234) << opt;
    EXPECT_EQ(p.dport, 5678) << opt;
  }
}

TEST(FlowParse, SctpPortsAndProtocolsWithoutPorts) {
  Packet s = parse_ok(Frame().eth().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).sctp(36412, 38412).bytes());
  EXPECT_EQ(s.proto, 132);
  EXPECT_EQ(s.sport, 36412);
  EXPECT_EQ(s.dport, 38412);
  EXPECT_TRUE(s.flags & BATON_PKT_HAS_PORTS);
  // GRE, ESP, VRRP, ICMP echo: addresses only.
  for (std::uint8_t proto : std::initializer_list<std::uint8_t>{47, 50, 112, 253}) {
    Packet p = parse_ok(
        Frame().eth().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"), {.proto = proto}).payload(30).bytes());
    EXPECT_EQ(p.proto, proto);
    EXPECT_EQ(p.flags, 0) << int{proto};
  }
  Packet e = parse_ok(Frame().eth().ipv6(ip6("::1"), ip6("::2")).icmp6_echo(1, 2).bytes());
  EXPECT_EQ(e.proto, 58);
  EXPECT_EQ(e.flags, 0);
  // ICMPv4 carried over IPv6 (and ICMPv6 over IPv4) is not inspected.
  Packet x = parse_ok(Frame()
                          .eth()
                          .ipv6(ip6("::1"), ip6("::2"), {.next_header = 1})
                          .icmp4(3, 0)
                          .payload(4)
                          .bytes());
  EXPECT_EQ(x.flags, 0);
  EXPECT_EQ(x.src[3], 1u);
}

TEST(FlowParse, ArpAndOtherEtherTypesAreNotIp) {
  const Bytes arp = Frame().eth().arp_request(ip4("10.0.0.1"), ip4("10.0.0.2")).pad_to(60).bytes();
  EXPECT_EQ(parse(arp).rc, BATON_PARSE_NOT_IP);
  EXPECT_EQ(parse(Frame().eth().vlan(5).arp_request(ip4("10.0.0.1"), ip4("10.0.0.9")).bytes()).rc,
            BATON_PARSE_NOT_IP);
  EXPECT_EQ(parse(Frame().eth().qinq(5, 6).arp_request(ip4("10.0.0.1"), ip4("10.0.0.9")).bytes()).rc,
            BATON_PARSE_NOT_IP);
  for (std::uint16_t type : std::initializer_list<std::uint16_t>{0x0000, 0x05DC, 0x88CC, 0x8847, 0x8906, 0x0842, 0xFFFF}) {
    Bytes f = Frame().eth({.type = type}).payload(46).bytes();
    EXPECT_EQ(parse(f).rc, BATON_PARSE_NOT_IP) << std::hex << type;
  }
  // Exactly an Ethernet header and nothing else.
  EXPECT_EQ(parse(Frame().eth({.type = 0x0806}).bytes()).rc, BATON_PARSE_NOT_IP);
  auto r = parse_frame(arp);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not-ip"), std::string::npos) << r.error().message;
}

TEST(FlowParse, VlanTagsSkipped) {
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    Flow f = random_flow(rng);
    const Bytes plain = frame_of(f);
    const std::uint32_t h[2] = {hash_of(plain, Mode::general), hash_of(plain, Mode::general_l4)};
    for (int tags = 1; tags <= 2; ++tags) {
      Frame fr;
      fr.eth();
      const std::uint16_t tpid = (rng() % 2) ? test::kTpid8021Q : test::kTpid8021AD;
      if (tags == 1) fr.vlan(static_cast<std::uint16_t>(rng() % 4095), tpid);
      else fr.qinq(static_cast<std::uint16_t>(rng() % 4095), static_cast<std::uint16_t>(rng() % 4095));
      add_ip(fr, f);
      const Bytes tagged = add_l4(fr, f).bytes();
      const Packet p = parse_ok(tagged);
      EXPECT_EQ(p.vlans, tags);
      EXPECT_EQ(p.l3_off, 14 + 4 * tags);
      EXPECT_EQ(flow_hash(p, Mode::general), h[0]) << describe(f);
      EXPECT_EQ(flow_hash(p, Mode::general_l4), h[1]) << describe(f);
    }
  }
  // 802.1Q inside 802.1Q and 802.1AD inside 802.1AD are skipped too.
  EXPECT_EQ(parse_ok(Frame().eth().vlan(1).vlan(2).ipv4(ip4("1.0.0.1"), ip4("1.0.0.2")).bytes()).vlans, 2);
  EXPECT_EQ(parse_ok(Frame()
                         .eth()
                         .vlan(1, test::kTpid8021AD)
                         .vlan(2, test::kTpid8021AD)
                         .ipv4(ip4("1.0.0.1"), ip4("1.0.0.2"))
                         .bytes())
                .vlans,
            2);
  // A third tag is refused, whatever follows it.
  EXPECT_EQ(parse(Frame().eth().qinq(1, 2).vlan(3).ipv4(ip4("1.0.0.1"), ip4("1.0.0.2")).bytes()).rc,
            BATON_ERR_VLAN_DEPTH);
  EXPECT_EQ(parse(Frame().eth().vlan(1).vlan(2).vlan(3).payload(40).bytes()).rc,
            BATON_ERR_VLAN_DEPTH);
}

TEST(FlowParse, EthernetPaddingAndTrailerIgnored) {
  std::mt19937 rng(12);
  for (int i = 0; i < 2000; ++i) {
    Flow f = random_flow(rng);
    Frame fr;
    fr.eth();
    add_ip(fr, f);
    add_l4(fr, f, rng() % 3);
    const Bytes plain = fr.bytes();
    const Packet p0 = parse_ok(plain);
    Frame padded = fr;
    padded.pad_to(std::max<std::size_t>(60, plain.size() + rng() % 40))
        .trailer(random_bytes(rng, rng() % 9));
    const Bytes pb = padded.bytes();
    ASSERT_GT(pb.size(), plain.size() - 1);
    const Packet p1 = parse_ok(pb);
    EXPECT_EQ(0, std::memcmp(&p0, &p1, sizeof p0)) << describe(f);
    for (Mode m : kModes) EXPECT_EQ(flow_hash(p0, m), flow_hash(p1, m));
  }
  // A short ICMP echo padded to the 60-byte minimum with non-zero garbage: still fine.
  Bytes echo = Frame()
                   .eth()
                   .ipv4(ip4("10.9.9.9"), ip4("10.8.8.8"))
                   .icmp4_echo(1, 1)
                   .trailer(Bytes(18, 0xEE))
                   .bytes();
  EXPECT_EQ(parse(echo).rc, BATON_PARSE_OK);
}

// ---- the symmetric hash --------------------------------------------------------------------

TEST(FlowHash, BothDirectionsHashAlikeInEveryMode) {
  std::mt19937 rng(1);
  for (int i = 0; i < 10000; ++i) {
    const Flow f = random_flow(rng);
    const Bytes fwd = frame_of(f, rng() % 4);
    const Bytes rev = frame_of(reversed(f), rng() % 4);
    for (Mode m : kModes)
      ASSERT_EQ(hash_of(fwd, m), hash_of(rev, m)) << mode_name(m) << " " << describe(f);
  }
}

TEST(FlowHash, AddressesTwoToThe31ApartAreSymmetric) {
  struct Pair {
    const char* a;
    const char* b;
  };
  for (auto [a, b] : {Pair{"10.0.0.1", "138.0.0.1"}, Pair{"0.0.0.0", "128.0.0.0"},
                      Pair{"127.255.255.255", "255.255.255.255"}, Pair{"1.2.3.4", "129.2.3.4"}}) {
    for (L4 l4 : {L4::tcp, L4::udp, L4::sctp, L4::echo}) {
      Flow f;
      f.a4 = ip4(a);
      f.b4 = ip4(b);
      f.sport = 1000;
      f.dport = 33768;  // 2^15 apart as well
      f.l4 = l4;
      for (Mode m : kModes)
        EXPECT_EQ(hash_of(frame_of(f), m), hash_of(frame_of(reversed(f)), m)) << a << " " << b;
    }
  }
  // IPv6: words differing only in their top bit, one word at a time and all at once.
  std::mt19937 rng(2);
  for (int i = 0; i < 4000; ++i) {
    std::uint32_t w[4] = {r32(rng), r32(rng), r32(rng), r32(rng)};
    std::uint32_t v[4] = {w[0], w[1], w[2], w[3]};
    if (i % 5 == 4) {
      for (auto& x : v) x ^= 0x80000000u;
    } else {
      v[i % 5] ^= 0x80000000u;
    }
    Flow f;
    f.family = 6;
    f.a6 = ip6(w[0], w[1], w[2], w[3]);
    f.b6 = ip6(v[0], v[1], v[2], v[3]);
    f.sport = r16(rng);
    f.dport = static_cast<std::uint16_t>(f.sport ^ 0x8000u);
    f.l4 = i % 2 ? L4::tcp : L4::udp;
    for (Mode m : kModes)
      ASSERT_EQ(hash_of(frame_of(f), m), hash_of(frame_of(reversed(f)), m)) << describe(f);
  }
  // The same through hand-made packets: only the address words, no parser.
  for (int i = 0; i < 4000; ++i) {
    Packet p{};
    p.family = static_cast<std::uint8_t>(i % 2 ? 4 : 6);
    const int words = p.family == 4 ? 1 : 4;
    for (int k = 0; k < words; ++k) {
      p.src[k] = r32(rng);
      p.dst[k] = p.src[k] ^ (k == i % words ? 0x80000000u : 0u);
    }
    p.sport = r16(rng);
    p.dport = static_cast<std::uint16_t>(p.sport ^ 0x8000u);
    p.proto = 6;
    p.flags = BATON_PKT_HAS_PORTS;
    Packet q = p;
    std::swap(q.src, q.dst);
    std::swap(q.sport, q.dport);
    for (Mode m : kModes) ASSERT_EQ(flow_hash(p, m), flow_hash(q, m));
  }
}

// The hash as it was written before its canonical order became a borrow chain
// (baton_le_step): plain compares, word by word. The agents compute buckets with this hash,
// so the rewrite must not change a single value.
std::uint32_t reference_hash(const Packet& p, Mode mode, std::uint32_t seed) {
  const std::uint32_t use_ports = mode == Mode::general_l4 && (p.flags & BATON_PKT_HAS_PORTS) &&
                                  !(p.flags & BATON_PKT_FRAGMENT);
  const std::uint32_t pmask = 0u - use_ports;
  const std::uint32_t ps = p.sport & pmask, pd = p.dport & pmask;
  const int words = p.family == 6 ? 4 : 1;
  std::uint32_t lt = 0, eq = 1;
  for (int i = 0; i < words; ++i) {
    lt |= eq & (p.src[i] < p.dst[i]);
    eq &= p.src[i] == p.dst[i];
  }
  const std::uint32_t mask = 0u - ((lt | (eq & (ps <= pd))) ^ 1);
  std::uint64_t h = static_cast<std::uint64_t>(seed) * BATON_HASH_K;
  for (int i = 0; i < words; ++i) {
    const std::uint32_t x = (p.src[i] ^ p.dst[i]) & mask;
    h = baton_mix64(h, (static_cast<std::uint64_t>(p.src[i] ^ x) << 32) | (p.dst[i] ^ x));
  }
  const std::uint32_t x = (ps ^ pd) & mask;
  h = baton_mix64(h, (static_cast<std::uint64_t>(((ps ^ x) << 16) | (pd ^ x)) << 32) |
                         (p.proto & pmask));
  return baton_final64(h);
}

TEST(FlowHash, BorrowChainOrderGivesTheSameValuesAsCompares) {
  std::mt19937 rng(11);
  for (int i = 0; i < 200000; ++i) {
    Packet p{};
    p.family = static_cast<std::uint8_t>(i % 2 ? 4 : 6);
    const int words = p.family == 4 ? 1 : 4;
    for (int k = 0; k < words; ++k) p.src[k] = r32(rng);
    // Equal leading words, words 2^31 apart, extreme values: every way a compare can go.
    for (int k = 0; k < words; ++k) {
      switch (rng() % 5) {
        case 0: p.dst[k] = p.src[k]; break;
        case 1: p.dst[k] = p.src[k] ^ 0x80000000u; break;
        case 2: p.dst[k] = rng() % 2 ? 0u : 0xFFFFFFFFu; break;
        default: p.dst[k] = r32(rng); break;
      }
    }
    p.sport = r16(rng);
    p.dport = rng() % 3 == 0 ? p.sport : rng() % 2 ? static_cast<std::uint16_t>(p.sport ^ 0x8000u)
                                                    : r16(rng);
    p.proto = static_cast<std::uint8_t>(rng() % 2 ? 6 : 17);
    p.flags = static_cast<std::uint8_t>(rng() % 4 ? BATON_PKT_HAS_PORTS : BATON_PKT_FRAGMENT);
    const std::uint32_t seed = i % 3 ? r32(rng) : BATON_HASH_SEED_DEFAULT;
    for (Mode m : kModes)
      ASSERT_EQ(baton_flow_hash(&p, static_cast<int>(m), seed), reference_hash(p, m, seed))
          << i;
  }
}

TEST(FlowHash, GeneralIgnoresPortsGeneralL4UsesThem) {
  std::mt19937 rng(3);
  std::size_t l4_same = 0, n = 0;
  for (int i = 0; i < 5000; ++i) {
    const Flow f = random_flow(rng, 0, (i % 3 == 0) ? L4::tcp : (i % 3 == 1) ? L4::udp : L4::sctp);
    Flow g = f;
    g.sport = r16(rng);
    g.dport = r16(rng);
    if (g.sport == f.sport && g.dport == f.dport) continue;
    ++n;
    const Bytes a = frame_of(f), b = frame_of(g);
    EXPECT_EQ(hash_of(a, Mode::general), hash_of(b, Mode::general)) << describe(f);
    if (hash_of(a, Mode::general_l4) == hash_of(b, Mode::general_l4)) ++l4_same;
  }
  // 32-bit hashes of different inputs: a handful of collisions at most.
  EXPECT_LE(l4_same, 2u) << "general-l4 ignores ports in " << l4_same << " of " << n;

  // The protocol is part of the L4 key: TCP and UDP flows with the same ports differ.
  std::size_t proto_same = 0;
  for (int i = 0; i < 2000; ++i) {
    Flow t = random_flow(rng, 0, L4::tcp);
    Flow u = t;
    u.l4 = L4::udp;
    EXPECT_EQ(hash_of(frame_of(t), Mode::general), hash_of(frame_of(u), Mode::general));
    if (hash_of(frame_of(t), Mode::general_l4) == hash_of(frame_of(u), Mode::general_l4)) ++proto_same;
  }
  EXPECT_LE(proto_same, 2u);

  // Without ports (ICMP echo, other protocols) general-l4 is general.
  for (int i = 0; i < 2000; ++i) {
    const Flow f = random_flow(rng, 0, i % 2 ? L4::echo : L4::none);
    const Bytes b = frame_of(f);
    EXPECT_EQ(hash_of(b, Mode::general), hash_of(b, Mode::general_l4)) << describe(f);
  }
}

TEST(FlowHash, DifferentAddressesSpreadAndSeedMatters) {
  std::mt19937 rng(4);
  std::set<std::uint32_t> seen;
  std::size_t seed_same = 0;
  const int n = 5000;
  for (int i = 0; i < n; ++i) {
    const Flow f = random_flow(rng, 0, L4::tcp);
    const Packet p = parse_ok(frame_of(f));
    seen.insert(flow_hash(p, Mode::general));
    if (flow_hash(p, Mode::general_l4, 1) == flow_hash(p, Mode::general_l4, 2)) ++seed_same;
  }
  EXPECT_GE(seen.size(), static_cast<std::size_t>(n) - 5);
  EXPECT_LE(seed_same, 2u);
  // IPv4 10.0.0.1 and the IPv6 address whose first word is 10.0.0.1 are different flows.
  Packet v4{}, v6{};
  v4.family = 4;
  v6.family = 6;
  v4.src[0] = v6.src[0] = 0x0A000001;
  v4.dst[0] = v6.dst[0] = 0x0A000002;
  EXPECT_NE(flow_hash(v4, Mode::general), flow_hash(v6, Mode::general));
}

// ---- ICMP errors ---------------------------------------------------------------------------

// An ICMP error about `inner` (a packet of the flow, from its IP header), sent to the inner
// packet's source by a router. max_bytes limits how much of the packet is quoted.
Frame icmp_error_frame(const Flow& inner_flow, const Frame& inner, std::uint8_t type,
                       std::uint8_t code, std::size_t max_bytes, std::mt19937& rng) {
  Frame fr;
  fr.eth();
  if (rng() % 4 == 0) fr.vlan(static_cast<std::uint16_t>(rng() % 4095));
  if (inner_flow.family == 4) {
    fr.ipv4(Ip4{r32(rng)}, inner_flow.a4, {.ttl = 255});
    fr.icmp4_error(type, code, inner, max_bytes, type == 3 && code == 4 ? 1400 : 0);
  } else {
    fr.ipv6(ip6(r32(rng), r32(rng), r32(rng), r32(rng)), inner_flow.a6);
    fr.icmp6_error(type, code, inner, max_bytes, type == 2 ? 1280 : 0);
  }
  return fr;
}

// Bytes of the quoted packet up to and including 8 bytes of its transport header.
std::size_t quote_l4_plus_8(const Frame& inner) {
  for (const LayerSpan& l : inner.layout())
    if (l.kind == Layer::tcp || l.kind == Layer::udp || l.kind == Layer::sctp ||
        l.kind == Layer::icmp4 || l.kind == Layer::icmp6 || l.kind == Layer::payload)
      return l.offset + 8;
  return SIZE_MAX;
}

TEST(FlowIcmpError, HashesLikeTheFlowItReportsOnInBothDirections) {
  std::mt19937 rng(5);
  const std::uint8_t v4_types[][2] = {{3, 0}, {3, 1}, {3, 3}, {3, 4}, {3, 13}, {11, 0}, {11, 1}, {12, 0}};
  const std::uint8_t v6_types[][2] = {{1, 0}, {1, 4}, {2, 0}, {3, 0}, {3, 1}, {4, 0}, {4, 1}};
  int checked = 0;
  for (int i = 0; i < 3000; ++i) {
    const Flow f = random_flow(rng, 0, i % 4 == 3 ? L4::echo : static_cast<L4>(i % 3));
    const Bytes flow_frame = frame_of(f, 20);
    const std::uint32_t want[2] = {hash_of(flow_frame, Mode::general),
                                   hash_of(flow_frame, Mode::general_l4)};
    for (const Flow& dir : {f, reversed(f)}) {
      // The quoted packet: sometimes with IPv4 options or IPv6 extension headers.
      Frame inner;
      if (dir.family == 4) {
        Ip4Opts o;
        if (rng() % 3 == 0) o.options = Bytes(4 * (1 + rng() % 10), 1);
        inner.ipv4(dir.a4, dir.b4, o);
      } else {
        inner.ipv6(dir.a6, dir.b6);
        if (rng() % 3 == 0) inner.hop_by_hop();
        if (rng() % 3 == 0) inner.dst_opts(static_cast<std::uint8_t>(rng() % 3));
        if (rng() % 4 == 0) inner.frag6(0, false);  // atomic fragment: still the flow
      }
      add_l4(inner, dir, 100);
      const auto& types = dir.family == 4 ? std::span<const std::uint8_t[2]>(v4_types)
                                          : std::span<const std::uint8_t[2]>(v6_types);
      const auto& t = types[rng() % types.size()];
      for (std::size_t max : {SIZE_MAX, quote_l4_plus_8(inner)}) {
        const Bytes err = icmp_error_frame(dir, inner, t[0], t[1], max, rng).bytes();
        const Packet p = parse_ok(err);
        ASSERT_TRUE(p.flags & BATON_PKT_ICMP_ERROR) << test::hex(err);
        EXPECT_EQ(p.outer_proto, dir.family == 4 ? 1 : 58);
        EXPECT_EQ(p.proto, proto_number(dir));
        for (std::size_t m = 0; m < 2; ++m)
          ASSERT_EQ(flow_hash(p, kModes[m]), want[m])
              << mode_name(kModes[m]) << " type " << int{t[0]} << " max " << max << " "
              << describe(dir) << "\n"
              << test::hex(err);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 3000 * 2 * 2);
}

TEST(FlowIcmpError, QuotedFieldsAreTheInnerPackets) {
  const Frame inner = Frame().ipv4(ip4("10.0.0.1"), ip4("198.51.100.7")).udp(5353, 53).payload(30);
  const Bytes err = Frame()
                        .eth()
                        .ipv4(ip4("192.0.2.254"), ip4("10.0.0.1"), {.ttl = 250})
                        .icmp4_error(11, 0, inner, 28)
                        .bytes();
  const Packet p = parse_ok(err);
  EXPECT_EQ(p.src[0], 0x0A000001u);
  EXPECT_EQ(p.dst[0], 0xC6336407u);
  EXPECT_EQ(p.sport, 5353);
  EXPECT_EQ(p.dport, 53);
  EXPECT_EQ(p.proto, 17);
  EXPECT_EQ(p.outer_proto, 1);
  EXPECT_EQ(p.ttl, 250);
  EXPECT_EQ(p.flags, BATON_PKT_ICMP_ERROR | BATON_PKT_HAS_PORTS);
}

TEST(FlowIcmpError, InformationalMessagesUseTheirOwnAddresses) {
  // Echo, router advertisement, timestamp; ICMPv6 echo, neighbour solicitation: not errors.
  for (std::uint8_t type : std::initializer_list<std::uint8_t>{0, 8, 9, 10, 13, 14}) {
    const Bytes b = Frame().eth().ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).icmp4(type, 0).payload(28).bytes();
    const Packet p = parse_ok(b);
    EXPECT_EQ(p.flags, 0) << int{type};
    EXPECT_EQ(p.src[0], 0x0A000001u);
  }
  for (std::uint8_t type : std::initializer_list<std::uint8_t>{0, 5, 127, 128, 129, 133, 135, 136, 143}) {
    const Bytes b = Frame().eth().ipv6(ip6("fe80::1"), ip6("ff02::1")).icmp6(type, 0).payload(40).bytes();
    const Packet p = parse_ok(b);
    EXPECT_EQ(p.flags, 0) << int{type};
    EXPECT_EQ(p.src[0], 0xFE800000u);
  }
}

TEST(FlowIcmpError, MalformedQuotedPacketRejected) {
  const Ip4 a = ip4("10.0.0.1"), b = ip4("10.0.0.2"), r = ip4("192.0.2.1");
  auto v4_err = [&](const Bytes& quoted) {
    return Frame().eth().ipv4(r, a).icmp4(3, 1).payload(quoted).bytes();
  };
  // Quoted header with the wrong version, a header length below 20, or an IPv6 header.
  Bytes q = Frame().ipv4(a, b).udp(1, 2).l3_bytes();
  for (std::uint8_t v : std::initializer_list<std::uint8_t>{0, 5, 6, 15}) {
    Bytes bad = q;
    bad[0] = static_cast<std::uint8_t>((v << 4) | 5);
    EXPECT_EQ(parse(v4_err(bad)).rc, BATON_ERR_ICMP_INNER) << int{v};
  }
  for (std::uint8_t ihl = 0; ihl < 5; ++ihl) {
    Bytes bad = q;
    bad[0] = static_cast<std::uint8_t>(0x40 | ihl);
    EXPECT_EQ(parse(v4_err(bad)).rc, BATON_ERR_ICMP_INNER) << int{ihl};
  }
  {
    Bytes bad = q;
    bad[0] = 0x4F;  // 60-byte header, 28 bytes quoted
    EXPECT_EQ(parse(v4_err(bad)).rc, BATON_ERR_ICMP_INNER);
  }
  // An IPv6 packet quoted in an ICMPv4 error, and the other way round.
  EXPECT_EQ(parse(v4_err(Frame().ipv6(ip6("::1"), ip6("::2")).udp(1, 2).l3_bytes())).rc,
            BATON_ERR_ICMP_INNER);
  EXPECT_EQ(parse(Frame()
                      .eth()
                      .ipv6(ip6("::9"), ip6("::1"))
                      .icmp6(1, 0)
                      .payload(Frame().ipv4(a, b).udp(1, 2).payload(40).l3_bytes())
                      .bytes())
                .rc,
            BATON_ERR_ICMP_INNER);
  // Quoted IPv6 packet whose extension headers run past the quote, or nest too deep.
  Frame deep = Frame().ipv6(ip6("::1"), ip6("::2"));
  for (int i = 0; i < BATON_MAX_EXTHDRS + 1; ++i) deep.dst_opts();
  deep.udp(1, 2);
  EXPECT_EQ(parse(Frame().eth().ipv6(ip6("::9"), ip6("::1")).icmp6_error(1, 0, deep).bytes()).rc,
            BATON_ERR_ICMP_INNER);
  EXPECT_EQ(parse(Frame()
                      .eth()
                      .ipv6(ip6("::9"), ip6("::1"))
                      .icmp6_error(1, 0, Frame().ipv6(ip6("::1"), ip6("::2")).dst_opts(3).udp(1, 2), 60)
                      .bytes())
                .rc,
            BATON_ERR_ICMP_INNER);
  // Nothing quoted at all.
  EXPECT_EQ(parse(Frame().eth().ipv4(r, a).icmp4(11, 0).bytes()).rc, BATON_ERR_ICMP_INNER);
  EXPECT_EQ(parse(Frame().eth().ipv6(ip6("::9"), ip6("::1")).icmp6(3, 0).bytes()).rc,
            BATON_ERR_ICMP_INNER);
}

// ---- fragments -----------------------------------------------------------------------------

TEST(FlowFragments, EveryFragmentHashesLikeTheFirstIpv4) {
  std::mt19937 rng(6);
  for (int i = 0; i < 3000; ++i) {
    const Flow f = random_flow(rng, 4, static_cast<L4>(i % 4));
    for (const Flow& dir : {f, reversed(f)}) {
      const std::uint16_t id = r16(rng);
      Frame first;
      first.eth();
      add_ip(first, dir, {.id = id, .mf = true});
      add_l4(first, dir, 8 * (1 + rng() % 20));
      const Packet p0 = parse_ok(first.bytes());
      ASSERT_TRUE(p0.flags & BATON_PKT_FRAGMENT);
      EXPECT_EQ(p0.proto, proto_number(dir));
      const std::uint32_t h0 = flow_hash(p0, Mode::general);
      // A fragment is a flow of its addresses: the unfragmented packet's general hash.
      ASSERT_EQ(h0, hash_of(frame_of(f), Mode::general)) << describe(dir);
      EXPECT_EQ(flow_hash(p0, Mode::general_l4), h0);
      const int later = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < later; ++k) {
        const bool last = k == later - 1;
        const Bytes frag = Frame()
                               .eth()
                               .ipv4(dir.a4, dir.b4,
                                     {.id = id,
                                      .mf = !last,
                                      .frag_offset = static_cast<std::uint16_t>(1 + rng() % 0x1FFE),
                                      .proto = proto_number(dir)})
                               .payload(random_bytes(rng, rng() % 64))
                               .bytes();
        const Packet p = parse_ok(frag);
        EXPECT_TRUE(p.flags & BATON_PKT_FRAGMENT);
        EXPECT_FALSE(p.flags & BATON_PKT_HAS_PORTS);
        for (Mode m : kModes) ASSERT_EQ(flow_hash(p, m), h0) << describe(dir) << "\n" << test::hex(frag);
      }
    }
  }
  // Don't-fragment alone is not a fragment.
  const Packet df = parse_ok(
      Frame().eth().ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), {.df = true}).tcp(1, 2).bytes());
  EXPECT_EQ(df.flags, BATON_PKT_HAS_PORTS);
}

TEST(FlowFragments, EveryFragmentHashesLikeTheFirstIpv6) {
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    const Flow f = random_flow(rng, 6, static_cast<L4>(i % 4));
    for (const Flow& dir : {f, reversed(f)}) {
      const std::uint32_t id = r32(rng);
      // Unfragmentable part (before the fragment header) and fragmentable part (after it).
      const bool hbh = rng() % 3 == 0, rt = rng() % 3 == 0, dst_after = rng() % 2 == 0;
      auto unfragmentable = [&](Frame& fr) -> Frame& {
        fr.eth().ipv6(dir.a6, dir.b6);
        if (hbh) fr.hop_by_hop();
        if (rt) fr.routing(4, {ip6(1, 2, 3, 4)});
        return fr;
      };
      Frame first;
      unfragmentable(first).frag6(0, true, id);
      if (dst_after) first.dst_opts(static_cast<std::uint8_t>(rng() % 3));
      add_l4(first, dir, 8 * (1 + rng() % 20));
      const Packet p0 = parse_ok(first.bytes());
      ASSERT_TRUE(p0.flags & BATON_PKT_FRAGMENT);
      EXPECT_FALSE(p0.flags & BATON_PKT_HAS_PORTS);
      const std::uint32_t h0 = flow_hash(p0, Mode::general);
      ASSERT_EQ(h0, hash_of(frame_of(f), Mode::general)) << describe(dir);
      EXPECT_EQ(flow_hash(p0, Mode::general_l4), h0);
      const int later = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < later; ++k) {
        const bool last = k == later - 1;
        // A later fragment carries the rest of the datagram: any bytes at all, even ones that
        // look like extension headers of any length.
        Frame fr;
        unfragmentable(fr).frag6(static_cast<std::uint16_t>(1 + rng() % 0x1FFE), !last, id,
                                 dst_after ? std::uint8_t{60} : proto_number(dir));
        fr.payload(random_bytes(rng, rng() % 48));
        const Bytes frag = fr.bytes();
        const Packet p = parse_ok(frag);
        EXPECT_TRUE(p.flags & BATON_PKT_FRAGMENT);
        EXPECT_EQ(p.proto, p0.proto) << "first and later fragments report the same protocol";
        for (Mode m : kModes) ASSERT_EQ(flow_hash(p, m), h0) << describe(dir) << "\n" << test::hex(frag);
      }
    }
  }
}

TEST(FlowFragments, LaterFragmentWhoseNextHeaderIsAnExtensionHeader) {
  // The fragmentable part of a datagram may start with a destination-options, routing, AH or
  // even another fragment header; in a later fragment that header is not there, its bytes are
  // the middle of the datagram. They must not be parsed.
  for (std::uint8_t next : std::initializer_list<std::uint8_t>{0, 43, 44, 51, 60, 135}) {
    for (std::size_t len : {0, 1, 7, 8, 9, 16, 200}) {
      Bytes pl(len, 0xFF);
      const Bytes frag = Frame()
                             .eth()
                             .ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"))
                             .frag6(100, true, 7, next)
                             .payload(pl)
                             .bytes();
      const Parsed p = parse(frag);
      EXPECT_EQ(p.rc, BATON_PARSE_OK) << "next " << int{next} << " len " << len << ": "
                                      << code_name(p.rc);
      EXPECT_TRUE(p.pkt.flags & BATON_PKT_FRAGMENT);
    }
  }
}

TEST(FlowFragments, AtomicIpv6FragmentIsNotAFragment) {
  std::mt19937 rng(8);
  for (int i = 0; i < 2000; ++i) {
    const Flow f = random_flow(rng, 6, static_cast<L4>(i % 3));
    Frame fr;
    fr.eth().ipv6(f.a6, f.b6);
    if (i % 2) fr.hop_by_hop();
    fr.frag6(0, false, r32(rng));
    add_l4(fr, f, rng() % 30);
    const Packet p = parse_ok(fr.bytes());
    EXPECT_FALSE(p.flags & BATON_PKT_FRAGMENT);
    EXPECT_TRUE(p.flags & BATON_PKT_HAS_PORTS);
    EXPECT_EQ(p.sport, f.sport);
    EXPECT_EQ(p.dport, f.dport);
    for (Mode m : kModes) ASSERT_EQ(flow_hash(p, m), hash_of(frame_of(f), m)) << describe(f);
  }
}

// ---- extension headers ---------------------------------------------------------------------

TEST(FlowParse, ExtensionHeaderDepth) {
  using Add = Frame& (*)(Frame&);
  const Add adders[] = {
      [](Frame& f) -> Frame& { return f.hop_by_hop(); },
      [](Frame& f) -> Frame& { return f.dst_opts(1); },
      [](Frame& f) -> Frame& { return f.routing(2, {ip6("::5")}); },
      [](Frame& f) -> Frame& { return f.ah(); },
      [](Frame& f) -> Frame& { return f.frag6(0, false); },
      [](Frame& f) -> Frame& { return f.ext6(135, 1); },
  };
  // The documented bound: six headers is every kind a real packet carries (hop-by-hop,
  // destination options, routing, fragment, AH, destination options); a seventh is refused.
  constexpr int kDepth = 6;
  EXPECT_EQ(BATON_MAX_EXTHDRS, kDepth);
  std::mt19937 rng(9);
  for (int i = 0; i < 600; ++i) {
    const int n = i % (kDepth + 2);
    Frame fr;
    fr.eth().ipv6(ip6("2001:db8::a"), ip6("2001:db8::b"));
    for (int k = 0; k < n; ++k) adders[rng() % std::size(adders)](fr);
    fr.tcp(80, 8080);
    const Parsed p = parse(fr.bytes());
    if (n <= kDepth) {
      ASSERT_EQ(p.rc, BATON_PARSE_OK) << n;
      EXPECT_EQ(p.pkt.sport, 80);
      EXPECT_EQ(p.pkt.proto, 6);
    } else {
      EXPECT_EQ(p.rc, BATON_ERR_EXT_DEPTH) << n;
    }
  }
  // ESP and "no next header" end the chain: addresses only.
  EXPECT_EQ(parse_ok(Frame().eth().ipv6(ip6("::1"), ip6("::2")).hop_by_hop().payload(8).bytes()).proto, 59);
  const Packet esp = parse_ok(
      Frame().eth().ipv6(ip6("::1"), ip6("::2")).dst_opts().ext6(50, 2).bytes());
  EXPECT_EQ(esp.proto, 50);
  EXPECT_EQ(esp.flags, 0);
}

// ---- malformed frames ----------------------------------------------------------------------

TEST(FlowMalformed, HeaderFieldsOutOfRange) {
  const Ip4 a = ip4("10.0.0.1"), b = ip4("10.0.0.2");
  for (std::uint8_t v = 0; v < 16; ++v) {
    if (v == 4) continue;
    EXPECT_EQ(parse(Frame().eth().ipv4(a, b, {.version = v}).tcp(1, 2).bytes()).rc, BATON_ERR_IP4_VERSION);
  }
  for (std::uint8_t v = 0; v < 16; ++v) {
    if (v == 6) continue;
    EXPECT_EQ(parse(Frame().eth().ipv6(ip6("::1"), ip6("::2"), {.version = v}).tcp(1, 2).bytes()).rc,
              BATON_ERR_IP6_VERSION);
  }
  for (std::uint8_t ihl = 0; ihl < 5; ++ihl)
    EXPECT_EQ(parse(Frame().eth().ipv4(a, b, {.ihl = ihl}).tcp(1, 2).bytes()).rc, BATON_ERR_IP4_IHL);
  // Header length beyond the frame.
  EXPECT_EQ(parse(Frame().eth().ipv4(a, b, {.ihl = 15}).payload(20).bytes()).rc, BATON_ERR_IP4_TRUNC);
  // Total length below the header length, or beyond the frame.
  for (std::uint16_t tl : std::initializer_list<std::uint16_t>{0, 1, 19}) {
    EXPECT_EQ(parse(Frame().eth().ipv4(a, b, {.total_len = tl}).tcp(1, 2).bytes()).rc, BATON_ERR_IP4_LEN);
  }
  EXPECT_EQ(parse(Frame().eth().ipv4(a, b, {.options = Bytes(8, 1), .total_len = 27}).tcp(1, 2).bytes()).rc,
            BATON_ERR_IP4_LEN);
  EXPECT_EQ(parse(Frame().eth().ipv4(a, b, {.total_len = 41}).tcp(1, 2).bytes()).rc, BATON_ERR_IP4_TRUNC);
  EXPECT_EQ(parse(Frame().eth().ipv4(a, b, {.total_len = 0xFFFF}).tcp(1, 2).bytes()).rc, BATON_ERR_IP4_TRUNC);
  EXPECT_EQ(parse(Frame().eth().ipv6(ip6("::1"), ip6("::2"), {.payload_len = 21}).tcp(1, 2).bytes()).rc,
            BATON_ERR_IP6_TRUNC);
  EXPECT_EQ(parse(Frame().eth().ipv6(ip6("::1"), ip6("::2"), {.payload_len = 0xFFFF}).tcp(1, 2).bytes()).rc,
            BATON_ERR_IP6_TRUNC);
  // TCP data offset below 5 words, or beyond the datagram.
  for (std::uint8_t doff = 0; doff < 5; ++doff) {
    EXPECT_EQ(parse(Frame().eth().ipv4(a, b).tcp(1, 2, {.doff = doff}).payload(40).bytes()).rc,
              BATON_ERR_TCP_DOFF);
    EXPECT_EQ(parse(Frame().eth().ipv6(ip6("::1"), ip6("::2")).tcp(1, 2, {.doff = doff}).bytes()).rc,
              BATON_ERR_TCP_DOFF);
  }
  EXPECT_EQ(parse(Frame().eth().ipv4(a, b).tcp(1, 2, {.doff = 6}).bytes()).rc, BATON_ERR_L4_TRUNC);
  EXPECT_EQ(parse(Frame().eth().ipv4(a, b).tcp(1, 2, {.doff = 15}).payload(39).bytes()).rc, BATON_ERR_L4_TRUNC);
  EXPECT_EQ(parse(Frame().eth().ipv4(a, b).tcp(1, 2, {.doff = 15}).payload(40).bytes()).rc, BATON_PARSE_OK);
  // A data offset beyond the datagram but inside the Ethernet padding is still cut short.
  EXPECT_EQ(parse(Frame().eth().ipv4(a, b).tcp(1, 2, {.doff = 7}).pad_to(100).bytes()).rc,
            BATON_ERR_L4_TRUNC);
}

// Layers of a frame, as the parser reaches them.
bool is_ext(Layer k) {
  return k == Layer::hop_by_hop || k == Layer::routing || k == Layer::dst_opts ||
         k == Layer::frag6 || k == Layer::ah || k == Layer::ext6;
}
bool is_l4(Layer k) {
  return k == Layer::tcp || k == Layer::udp || k == Layer::sctp || k == Layer::icmp4 ||
         k == Layer::icmp6;
}

// A valid frame to cut, with what the parser needs from a quoted packet (if it is an ICMP
// error): the quote's layout relative to the ICMP payload.
struct CutCase {
  std::string name;
  Frame frame;
  std::vector<LayerSpan> quote;  // layout of the quoted packet (no L2), empty if none
};

struct Threshold {
  std::size_t below;  // a datagram ending before this offset ...
  int code;           // ... is rejected with this code
};

// For a datagram cut short (its IP length says it ends at `cut`): the error per boundary.
std::vector<Threshold> datagram_thresholds(const CutCase& c) {
  const std::vector<LayerSpan> lay = c.frame.layout();
  const Bytes bytes = c.frame.bytes();
  std::vector<Threshold> out;
  std::size_t i = 0;
  while (i < lay.size() && lay[i].kind != Layer::ipv4 && lay[i].kind != Layer::ipv6) ++i;
  if (i == lay.size()) return out;
  const LayerSpan& ip = lay[i];
  if (ip.kind == Layer::ipv4) {
    const std::uint16_t frag = static_cast<std::uint16_t>((bytes[ip.offset + 6] << 8) | bytes[ip.offset + 7]);
    if ((frag & 0x3FFF) != 0) return out;  // nothing past the IP header is read
  }
  for (++i; i < lay.size(); ++i) {
    const LayerSpan& l = lay[i];
    if (is_ext(l.kind)) {
      out.push_back({l.offset + l.header_len, BATON_ERR_EXT_TRUNC});
      if (l.kind == Layer::frag6) {
        const std::uint16_t om = static_cast<std::uint16_t>((bytes[l.offset + 2] << 8) | bytes[l.offset + 3]);
        if (om != 0) return out;  // a real fragment: nothing after its header is read
      }
      continue;
    }
    if (is_l4(l.kind)) {
      out.push_back({l.offset + l.header_len, BATON_ERR_L4_TRUNC});
      const bool v4 = l.kind == Layer::icmp4;
      const std::uint8_t type = bytes[l.offset];
      const bool err = (l.kind == Layer::icmp4 && (type == 3 || type == 4 || type == 5 ||
                                                   type == 11 || type == 12)) ||
                       (l.kind == Layer::icmp6 && type >= 1 && type <= 4);
      if (!err) return out;
      const std::size_t base = l.offset + l.header_len;
      for (const LayerSpan& q : c.quote) {
        if (q.kind == Layer::ipv4 || q.kind == Layer::ipv6 || is_ext(q.kind)) {
          out.push_back({base + q.offset + q.header_len, BATON_ERR_ICMP_INNER});
          if (q.kind == Layer::ipv4) {
            const std::uint16_t fr = static_cast<std::uint16_t>((bytes[base + q.offset + 6] << 8) |
                                                                bytes[base + q.offset + 7]);
            if ((fr & 0x3FFF) != 0) return out;
          }
          if (q.kind == Layer::frag6) {
            const std::uint16_t om = static_cast<std::uint16_t>((bytes[base + q.offset + 2] << 8) |
                                                                bytes[base + q.offset + 3]);
            if (om != 0) return out;
          }
          continue;
        }
        if (q.kind == Layer::tcp || q.kind == Layer::udp || q.kind == Layer::sctp)
          out.push_back({base + q.offset + 4, BATON_ERR_ICMP_INNER});
        return out;
      }
      (void)v4;
      return out;
    }
    return out;  // payload: nothing more is needed
  }
  return out;
}

// Cuts the datagram at `cut` (frame offset) and rewrites the outer IP length to match.
Bytes cut_datagram(const Bytes& full, const std::vector<LayerSpan>& lay, std::size_t cut) {
  Bytes b(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
  for (const LayerSpan& l : lay) {
    if (l.kind == Layer::ipv4) {
      const std::size_t len = cut - l.offset;
      b[l.offset + 2] = static_cast<std::uint8_t>(len >> 8);
      b[l.offset + 3] = static_cast<std::uint8_t>(len);
      b[l.offset + 10] = b[l.offset + 11] = 0;
      const std::uint16_t c = test::inet_checksum(std::span(b).subspan(l.offset, l.header_len));
      b[l.offset + 10] = static_cast<std::uint8_t>(c >> 8);
      b[l.offset + 11] = static_cast<std::uint8_t>(c);
      return b;
    }
    if (l.kind == Layer::ipv6) {
      const std::size_t len = cut - l.offset - 40;
      b[l.offset + 4] = static_cast<std::uint8_t>(len >> 8);
      b[l.offset + 5] = static_cast<std::uint8_t>(len);
      return b;
    }
  }
  return b;
}

std::vector<CutCase> cut_cases() {
  std::vector<CutCase> cs;
  const Ip4 a = ip4("10.0.0.1"), b = ip4("138.0.0.1"), r = ip4("192.0.2.1");
  const Ip6 a6 = ip6("2001:db8::1"), b6 = ip6("2001:db8::8000:0:0:2"), r6 = ip6("2001:db8:ff::1");
  auto add = [&](std::string name, Frame f, std::vector<LayerSpan> quote = {}) {
    cs.push_back({std::move(name), std::move(f), std::move(quote)});
  };
  add("v4-tcp", Frame().eth().ipv4(a, b).tcp(1000, 80).payload(10));
  add("v4-tcp-options", Frame().eth().ipv4(a, b, {.options = Bytes(12, 1)}).tcp(1000, 80, {.options = Bytes(12, 1)}).payload(3));
  add("v4-udp-vlan", Frame().eth().vlan(10).ipv4(a, b).udp(53, 5353).payload(5));
  add("v4-sctp-qinq", Frame().eth().qinq(10, 20).ipv4(a, b).sctp(1, 2).payload(16));
  add("v4-icmp-echo", Frame().eth().ipv4(a, b).icmp4_echo(7, 1).payload(8));
  add("v4-other-proto", Frame().eth().ipv4(a, b, {.proto = 47}).payload(12));
  add("v4-first-fragment", Frame().eth().ipv4(a, b, {.mf = true}).tcp(1, 2).payload(16));
  add("v4-later-fragment", Frame().eth().ipv4(a, b, {.frag_offset = 5, .proto = 17}).payload(20));
  add("v4-padded", Frame().eth().ipv4(a, b).udp(1, 2).pad_to(60));
  {
    Frame q = Frame().ipv4(a, b, {.options = Bytes(4, 1)}).tcp(1000, 80).payload(20);
    add("v4-icmp-error-tcp", Frame().eth().ipv4(r, a).icmp4_error(3, 3, q), q.layout());
    Frame u = Frame().ipv4(b, a).udp(53, 1000);
    add("v4-icmp-error-udp-cut8", Frame().eth().vlan(3).ipv4(r, b).icmp4_error(11, 0, u, 28), u.layout());
    Frame e = Frame().ipv4(a, b).icmp4_echo(1, 1).payload(8);
    add("v4-icmp-error-echo", Frame().eth().ipv4(r, a).icmp4_error(12, 0, e), e.layout());
    Frame fq = Frame().ipv4(a, b, {.frag_offset = 3, .proto = 6}).payload(20);
    add("v4-icmp-error-fragment", Frame().eth().ipv4(r, a).icmp4_error(11, 1, fq), fq.layout());
  }
  add("v6-tcp", Frame().eth().ipv6(a6, b6).tcp(1000, 443, {.options = Bytes(8, 1)}).payload(7));
  add("v6-udp-ext", Frame().eth().ipv6(a6, b6).hop_by_hop().routing(4, {r6}).dst_opts(1).ah().udp(1, 2).payload(4));
  add("v6-sctp-vlan", Frame().eth().vlan(4000).ipv6(a6, b6).sctp(1, 2).payload(4));
  add("v6-icmp-echo", Frame().eth().ipv6(a6, b6).icmp6_echo(3, 4).payload(4));
  add("v6-first-fragment", Frame().eth().ipv6(a6, b6).hop_by_hop().frag6(0, true).tcp(1, 2).payload(16));
  add("v6-later-fragment", Frame().eth().ipv6(a6, b6).frag6(9, false, 1, 6).payload(16));
  add("v6-atomic-fragment", Frame().eth().ipv6(a6, b6).frag6(0, false).udp(1, 2).payload(2));
  add("v6-padded", Frame().eth().ipv6(a6, b6).udp(1, 2).trailer(Bytes(6, 0xAB)));
  {
    Frame q = Frame().ipv6(a6, b6).dst_opts().tcp(1000, 80).payload(100);
    add("v6-icmp-error-tcp", Frame().eth().ipv6(r6, a6).icmp6_error(1, 3, q), q.layout());
    Frame u = Frame().ipv6(b6, a6).udp(53, 1000).payload(10);
    add("v6-icmp-error-udp-cut8", Frame().eth().ipv6(r6, b6).icmp6_error(3, 0, u, 48), u.layout());
    Frame big = Frame().ipv6(a6, b6).sctp(5, 6).payload(1300);
    add("v6-icmp-error-ptb", Frame().eth().ipv6(r6, a6).icmp6_error(2, 0, big, 1232, 1280), big.layout());
    Frame fq = Frame().ipv6(a6, b6).frag6(0, true).udp(9, 10).payload(10);
    add("v6-icmp-error-fragment", Frame().eth().ipv6(r6, a6).icmp6_error(4, 0, fq), fq.layout());
  }
  add("arp", Frame().eth().arp_request(a, b));
  return cs;
}

// Cutting the frame anywhere before the end of its datagram (IP lengths untouched): the
// parser names the first header that does not fit.
TEST(FlowTruncated, EveryFrameCutIsRejectedWithTheHeaderItEndsIn) {
  std::set<int> seen;
  for (const CutCase& c : cut_cases()) {
    const Bytes full = c.frame.bytes();
    const std::vector<LayerSpan> lay = c.frame.layout();
    const Parsed whole = parse(full);
    ASSERT_TRUE(whole.rc == BATON_PARSE_OK || whole.rc == BATON_PARSE_NOT_IP) << c.name;
    std::size_t l3 = 0, l3_end = full.size();
    Layer l3_kind = Layer::payload;
    for (const LayerSpan& l : lay)
      if (l.kind != Layer::eth && l.kind != Layer::vlan) {
        l3 = l.offset;
        l3_kind = l.kind;
        break;
      }
    // The datagram ends where the last layer ends (padding and trailer are after it).
    l3_end = lay.back().offset + lay.back().total_len;
    for (std::size_t cut = 0; cut < full.size(); ++cut) {
      int want;
      if (cut < 14) {
        want = BATON_ERR_ETH_TRUNC;
      } else if (cut < l3) {
        want = BATON_ERR_VLAN_TRUNC;
      } else if (l3_kind == Layer::arp) {
        want = BATON_PARSE_NOT_IP;
      } else if (cut < l3_end) {
        want = l3_kind == Layer::ipv4 ? BATON_ERR_IP4_TRUNC : BATON_ERR_IP6_TRUNC;
      } else {
        want = BATON_PARSE_OK;  // only the padding is cut
      }
      const Parsed p = parse(std::span(full).first(cut));
      ASSERT_EQ(code_name(p.rc), code_name(want)) << c.name << " cut at " << cut << " of " << full.size();
      seen.insert(p.rc);
      if (p.rc == BATON_PARSE_OK) {
        for (Mode m : kModes) EXPECT_EQ(flow_hash(p.pkt, m), flow_hash(whole.pkt, m));
      }
    }
  }
  EXPECT_EQ(seen, (std::set<int>{BATON_PARSE_OK, BATON_PARSE_NOT_IP, BATON_ERR_ETH_TRUNC,
                                 BATON_ERR_VLAN_TRUNC, BATON_ERR_IP4_TRUNC, BATON_ERR_IP6_TRUNC}));
}

// Cutting the datagram itself (IP length rewritten to match, so the IP layer is fine): the
// parser names the extension header, transport header or quoted packet that is cut short, and
// a cut after everything it needs leaves the same flow.
TEST(FlowTruncated, EveryDatagramCutIsRejectedWithTheHeaderItEndsIn) {
  int checked = 0;
  std::set<int> seen;
  for (const CutCase& c : cut_cases()) {
    const Bytes full = c.frame.bytes();
    const std::vector<LayerSpan> lay = c.frame.layout();
    const Parsed whole = parse(full);
    if (whole.rc == BATON_PARSE_NOT_IP) continue;
    ASSERT_EQ(whole.rc, BATON_PARSE_OK) << c.name;
    const std::vector<Threshold> th = datagram_thresholds(c);
    std::size_t ip_end = 0;
    for (const LayerSpan& l : lay)
      if (l.kind == Layer::ipv4 || l.kind == Layer::ipv6) {
        ip_end = l.offset + l.header_len;
        break;
      }
    const std::size_t datagram_end = lay.back().offset + lay.back().total_len;
    for (std::size_t cut = ip_end; cut <= datagram_end; ++cut) {
      int want = BATON_PARSE_OK;
      for (const Threshold& t : th)
        if (cut < t.below) {
          want = t.code;
          break;
        }
      const Bytes b = cut_datagram(full, lay, cut);
      const Parsed p = parse(b);
      ASSERT_EQ(code_name(p.rc), code_name(want)) << c.name << " datagram cut at " << cut << " of "
                                                  << datagram_end << "\n" << test::hex(b);
      seen.insert(p.rc);
      if (p.rc == BATON_PARSE_OK) {
        for (Mode m : kModes)
          EXPECT_EQ(flow_hash(p.pkt, m), flow_hash(whole.pkt, m)) << c.name << " cut " << cut;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000);
  EXPECT_EQ(seen, (std::set<int>{BATON_PARSE_OK, BATON_ERR_EXT_TRUNC, BATON_ERR_L4_TRUNC,
                                 BATON_ERR_ICMP_INNER}));
}

// Random frames built from random layers, each cut at every length and byte-flipped: never a
// crash, never an unknown code, never a read past the end (ASan).
TEST(FlowTruncated, RandomFramesCutEverywhere) {
  std::mt19937 rng(10);
  for (int i = 0; i < 300; ++i) {
    const Flow f = random_flow(rng);
    Frame fr;
    fr.eth();
    for (auto v = rng() % 3; v > 0; --v) fr.vlan(static_cast<std::uint16_t>(rng() % 4095));
    add_ip(fr, f);
    if (f.family == 6)
      for (auto e = rng() % 3; e > 0; --e) fr.dst_opts(static_cast<std::uint8_t>(rng() % 2));
    add_l4(fr, f, rng() % 16);
    Bytes full = fr.bytes();
    for (std::size_t cut = 0; cut <= full.size(); ++cut) {
      const Parsed p = parse(std::span(full).first(cut));
      ASSERT_GE(p.rc, 0);
      ASSERT_LT(p.rc, BATON_PARSE_RESULT_COUNT);
      ASSERT_EQ(p.rc == BATON_PARSE_OK, cut == full.size()) << cut << " " << code_name(p.rc);
    }
    for (int k = 0; k < 50; ++k) {
      Bytes mutated = full;
      mutated[rng() % mutated.size()] = static_cast<std::uint8_t>(rng());
      const Parsed p = parse(std::span(mutated).first(rng() % (mutated.size() + 1)));
      ASSERT_LT(p.rc, BATON_PARSE_RESULT_COUNT);
    }
  }
}

// ---- names ---------------------------------------------------------------------------------

TEST(FlowNames, EveryParseResultHasADistinctNameAndText) {
  std::set<std::string_view> names, texts;
  for (int code = 0; code < BATON_PARSE_RESULT_COUNT; ++code) {
    const std::string_view n = parse_result_name(code), t = parse_result_text(code);
    EXPECT_FALSE(n.empty()) << code;
    EXPECT_FALSE(t.empty()) << code;
    EXPECT_NE(n, "unknown") << code;
    EXPECT_NE(t, "unknown parse result") << code;
    EXPECT_EQ(n.find(' '), std::string_view::npos) << "names are single tokens: " << n;
    names.insert(n);
    texts.insert(t);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(BATON_PARSE_RESULT_COUNT));
  EXPECT_EQ(texts.size(), static_cast<std::size_t>(BATON_PARSE_RESULT_COUNT));
  EXPECT_EQ(parse_result_name(BATON_PARSE_OK), "ok");
  EXPECT_EQ(parse_result_name(BATON_PARSE_NOT_IP), "not-ip");
  for (int bad : std::initializer_list<int>{-1, BATON_PARSE_RESULT_COUNT, 1000}) {
    EXPECT_EQ(parse_result_name(bad), "unknown");
    EXPECT_EQ(parse_result_text(bad), "unknown parse result");
  }
}

TEST(FlowNames, ParseFrameErrorNamesTheReason) {
  const Bytes f = Frame().eth().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).tcp(1, 2, {.doff = 3}).bytes();
  auto r = parse_frame(f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("tcp-doff"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(std::string(parse_result_text(BATON_ERR_TCP_DOFF))),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(std::to_string(f.size())), std::string::npos) << r.error().message;
  auto ok = parse_frame(Frame().eth().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).tcp(1, 2).bytes());
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->sport, 1);
  auto empty = parse_frame({});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("eth-truncated"), std::string::npos);
}

TEST(FlowNames, ModesRoundTripAndUnknownNamesAreRejected) {
  for (Mode m : kModes) {
    auto r = parse_mode(mode_name(m));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, m);
  }
  EXPECT_EQ(mode_name(Mode::general), "general");
  EXPECT_EQ(mode_name(Mode::general_l4), "general-l4");
  for (std::string_view bad : {"", "General", "general-l3", "l4", "user", "network", "general-l4 "}) {
    auto r = parse_mode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("'" + std::string(bad) + "'"), std::string::npos)
        << r.error().message;
  }
}

// ---- distribution over buckets -------------------------------------------------------------

// Pearson's chi-square statistic of `counts` against a uniform spread of `n` samples.
double chi_square(const std::vector<std::uint32_t>& counts, std::size_t n) {
  const double expected = static_cast<double>(n) / static_cast<double>(counts.size());
  double chi = 0;
  for (std::uint32_t c : counts) {
    const double d = static_cast<double>(c) - expected;
    chi += d * d / expected;
  }
  return chi;
}

// With k buckets the statistic has mean k-1 and standard deviation sqrt(2(k-1)); a uniform
// hash exceeds mean + 6 sigma with probability around 1e-9.
void expect_uniform(const std::vector<std::uint32_t>& counts, std::size_t n, const char* what) {
  const double dof = static_cast<double>(counts.size() - 1);
  const double limit = dof + 6 * std::sqrt(2 * dof);
  const double chi = chi_square(counts, n);
  EXPECT_LT(chi, limit) << what << ": chi-square " << chi << " over " << counts.size()
                        << " buckets (mean " << dof << ")";
  // Not suspiciously perfect either (a counter, not a hash, would give ~0).
  EXPECT_GT(chi, dof - 6 * std::sqrt(2 * dof)) << what;
}

constexpr std::uint32_t kBuckets = 65537;
constexpr std::size_t kFlows = 1'000'000;

TEST(FlowDistribution, RandomFlowsSpreadUniformlyOverBuckets) {
  std::mt19937 rng(20);
  for (Mode mode : kModes) {
    std::vector<std::uint32_t> counts(kBuckets);
    for (std::size_t i = 0; i < kFlows; ++i) {
      Packet p{};
      p.family = static_cast<std::uint8_t>(i % 2 ? 4 : 6);
      for (int k = 0; k < (p.family == 4 ? 1 : 4); ++k) {
        p.src[k] = r32(rng);
        p.dst[k] = r32(rng);
      }
      p.sport = r16(rng);
      p.dport = r16(rng);
      p.proto = 6;
      p.flags = BATON_PKT_HAS_PORTS;
      ++counts[bucket_of(flow_hash(p, mode), kBuckets)];
    }
    expect_uniform(counts, kFlows, mode == Mode::general ? "random, general" : "random, general-l4");
  }
}

TEST(FlowDistribution, StructuredFlowsSpreadUniformlyOverBuckets) {
  // What real traffic looks like: many clients of a few servers, sequential addresses and
  // ports. Parsed from frames, so the whole path from bytes to bucket is covered.
  std::vector<std::uint32_t> by_client(kBuckets), by_port(kBuckets), v6(kBuckets);
  const Ip4 server = ip4("203.0.113.10");
  for (std::uint32_t i = 0; i < kFlows; ++i) {
    Packet p{};
    p.family = 4;
    p.src[0] = 0x0A000000u + i;  // 10.0.0.0/12, one flow per client
    p.dst[0] = server.v;
    p.sport = 40000;
    p.dport = 443;
    p.proto = 6;
    p.flags = BATON_PKT_HAS_PORTS;
    ++by_client[bucket_of(flow_hash(p, Mode::general), kBuckets)];
    // A few clients with many connections each: only the source port moves.
    p.src[0] = 0x0A000000u + (i >> 14);
    p.sport = static_cast<std::uint16_t>(1024 + (i & 0x3FFF));
    ++by_port[bucket_of(flow_hash(p, Mode::general_l4), kBuckets)];
    // IPv6 clients in one /64, interface identifiers sequential.
    Packet q{};
    q.family = 6;
    q.src[0] = 0x20010DB8u;
    q.src[3] = i;
    q.dst[0] = 0x20010DB8u;
    q.dst[1] = 0xFFFF;
    q.dst[3] = 1;
    ++v6[bucket_of(flow_hash(q, Mode::general), kBuckets)];
  }
  expect_uniform(by_client, kFlows, "sequential IPv4 clients, general");
  expect_uniform(by_port, kFlows, "sequential source ports, general-l4");
  expect_uniform(v6, kFlows, "sequential IPv6 clients, general");

  // IPv6 clients with the same interface identifier (::1) in sequential /64s of one /32, and
  // clients with low-numbered identifiers in sequential /64s (a fold of the address halves by
  // XOR, tried as a cheaper hash, gave these 1M clients fewer than 4 100 values).
  std::vector<std::uint32_t> v6_prefix(kBuckets), v6_both(kBuckets);
  for (std::uint32_t i = 0; i < kFlows; ++i) {
    Packet q{};
    q.family = 6;
    q.src[0] = 0x20010DB8u;
    q.src[1] = i;
    q.src[3] = 1;
    q.dst[0] = 0x20010DB8u;
    q.dst[1] = 0xFFFF0000u;
    q.dst[3] = 1;
    ++v6_prefix[bucket_of(flow_hash(q, Mode::general), kBuckets)];
    q.src[1] = i >> 8;
    q.src[3] = i & 0xFF;
    ++v6_both[bucket_of(flow_hash(q, Mode::general), kBuckets)];
  }
  expect_uniform(v6_prefix, kFlows, "IPv6 ::1 in sequential /64s, general");
  expect_uniform(v6_both, kFlows, "IPv6 sequential /64s and identifiers, general");

  // The same from parsed frames (fewer, it is slower): same counts as the direct packets.
  std::vector<std::uint32_t> parsed(kBuckets);
  const std::size_t n = 200'000;
  for (std::uint32_t i = 0; i < n; ++i) {
    const Bytes f = Frame().eth().ipv4(Ip4{0x0A000000u + i}, server).tcp(40000, 443).bytes();
    ++parsed[bucket_of(hash_of(f, Mode::general), kBuckets)];
  }
  expect_uniform(parsed, n, "parsed frames, general");
}

}  // namespace
}  // namespace baton::dist
