// The connection record's bucket must be the data path's bucket for the connection's packets,
// in both directions: HyperSync replicates to the successor of the bucket XDP sends to.
#include "sync/conn.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <random>
#include <unordered_set>

#include <gtest/gtest.h>

#include "support/packets.hpp"

namespace baton::sync {
namespace {

using test::Frame;

std::array<std::uint8_t, 16> a4(std::uint32_t host) {
  std::array<std::uint8_t, 16> a{};
  a[0] = static_cast<std::uint8_t>(host >> 24);
  a[1] = static_cast<std::uint8_t>(host >> 16);
  a[2] = static_cast<std::uint8_t>(host >> 8);
  a[3] = static_cast<std::uint8_t>(host);
  return a;
}

std::uint32_t frame_bucket(const test::Bytes& f, std::uint32_t buckets) {
  auto p = dist::parse_frame(f);
  EXPECT_TRUE(p.ok());
  return dist::bucket_of(dist::flow_hash(*p, dist::Mode::general_l4), buckets);
}

constexpr std::uint32_t kBuckets = 65537;

TEST(ConnBucket, Ipv4TcpAndUdpMatchTheDataPathBothWays) {
  std::mt19937 rng_(7);
  auto rng = [&] { return static_cast<std::uint32_t>(rng_()); };
  for (int i = 0; i < 2000; ++i) {
    const std::uint32_t s = rng(), d = rng();
    const auto sp = static_cast<std::uint16_t>(rng()), dp = static_cast<std::uint16_t>(rng());
    const std::uint8_t proto = (i % 2) ? IPPROTO_TCP : IPPROTO_UDP;
    ConnKey k{.family = 4, .proto = proto, .orig = {.src = a4(s), .dst = a4(d), .sport = sp, .dport = dp}};
    const auto b = bucket_of(k, dist::Mode::general_l4, dist::kDefaultSeed, kBuckets);
    auto fwd = Frame().eth().ipv4(test::ip4(s), test::ip4(d));
    auto rev = Frame().eth().ipv4(test::ip4(d), test::ip4(s));
    if (proto == IPPROTO_TCP) {
      fwd.tcp(sp, dp);
      rev.tcp(dp, sp);
    } else {
      fwd.udp(sp, dp);
      rev.udp(dp, sp);
    }
    ASSERT_EQ(b, frame_bucket(fwd.bytes(), kBuckets)) << to_string(k);
    ASSERT_EQ(b, frame_bucket(rev.bytes(), kBuckets)) << to_string(k);
  }
}

TEST(ConnBucket, Ipv6UdpMatchesTheDataPath) {
  std::mt19937 rng_(9);
  auto rng = [&] { return static_cast<std::uint32_t>(rng_()); };
  for (int i = 0; i < 500; ++i) {
    const auto s = test::ip6(rng(), rng(), rng(), rng());
    const auto d = test::ip6(rng(), rng(), rng(), rng());
    const auto sp = static_cast<std::uint16_t>(rng()), dp = static_cast<std::uint16_t>(rng());
    ConnKey k{.family = 6, .proto = IPPROTO_UDP, .orig = {.src = s.b, .dst = d.b, .sport = sp, .dport = dp}};
    const auto b = bucket_of(k, dist::Mode::general_l4, dist::kDefaultSeed, kBuckets);
    ASSERT_EQ(b, frame_bucket(Frame().eth().ipv6(s, d).udp(sp, dp).bytes(), kBuckets));
    ASSERT_EQ(b, frame_bucket(Frame().eth().ipv6(d, s).udp(dp, sp).bytes(), kBuckets));
  }
}

TEST(ConnBucket, IcmpEchoUsesAddressesOnly) {
  ConnKey k{.family = 4, .proto = IPPROTO_ICMP,
            .orig = {.src = a4(0x0a00010a), .dst = a4(0xcb00710a), .sport = 77, .dport = 8 << 8}};
  const auto b = bucket_of(k, dist::Mode::general_l4, dist::kDefaultSeed, kBuckets);
  ASSERT_EQ(b, frame_bucket(Frame().eth().ipv4(test::ip4("10.0.1.10"), test::ip4("203.0.113.10"))
                                .icmp4_echo(77, 1).bytes(), kBuckets));
  k.orig.sport = 78;  // another echo id: same bucket
  EXPECT_EQ(b, bucket_of(k, dist::Mode::general_l4, dist::kDefaultSeed, kBuckets));
}

TEST(ConnKey, HashAndEqualityTellKeysApart) {
  ConnKey a{.family = 4, .proto = IPPROTO_TCP, .orig = {.src = a4(1), .dst = a4(2), .sport = 3, .dport = 4}};
  ConnKey b = a;
  b.orig.dport = 5;
  ConnKey c = a;
  c.proto = IPPROTO_UDP;
  std::unordered_set<ConnKey, ConnKeyHash> set{a, b, c, a};
  EXPECT_EQ(set.size(), 3u);
  EXPECT_EQ(to_string(a), "tcp 0.0.0.1:3 -> 0.0.0.2:4");
}

}  // namespace
}  // namespace baton::sync
