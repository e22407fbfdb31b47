#include "vrrp/advert.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace baton::vrrp {
namespace {

const IpAddr kSrc4 = IpAddr::v4(10, 0, 0, 1);
const IpAddr kDst4 = IpAddr::v4(224, 0, 0, 18);

Advert v3_ipv4() {
  Advert a;
  a.vrid = 7;
  a.priority = 100;
  a.interval_cs = 100;
  a.addresses = {IpAddr::v4(10, 0, 0, 100), IpAddr::v4(10, 0, 0, 101)};
  return a;
}

Advert v2_ipv4() {
  Advert a = v3_ipv4();
  a.version = Version::v2;
  a.checksum = ChecksumMode::message_only;
  return a;
}

Advert v3_ipv6() {
  Advert a;
  a.family = Family::ipv6;
  a.vrid = 9;
  a.priority = 254;
  a.interval_cs = 1;
  a.addresses = {*IpAddr::parse("fe80::9"), *IpAddr::parse("2001:db8::9")};
  return a;
}

std::vector<std::uint8_t> enc(const Advert& a, const IpAddr& src = kSrc4,
                              const IpAddr& dst = kDst4) {
  auto w = encode_advert(a, src, dst);
  EXPECT_TRUE(w.ok()) << w.error().message;
  return w.ok() ? *w : std::vector<std::uint8_t>{};
}

DropReason drop(const std::vector<std::uint8_t>& w, Family f = Family::ipv4,
                const IpAddr& src = kSrc4, const IpAddr& dst = kDst4) {
  auto d = decode_advert(w, f, src, dst);
  EXPECT_FALSE(d.ok()) << "accepted";
  return d.reason();
}

// Rewrites the checksum so a test reaches the checks behind it.
void reseal(std::vector<std::uint8_t>& w, ChecksumMode m = ChecksumMode::pseudo_header) {
  auto c = vrrp_checksum(w, kSrc4, kDst4, m);
  w[6] = static_cast<std::uint8_t>(c >> 8);
  w[7] = static_cast<std::uint8_t>(c & 0xff);
}

TEST(VrrpAdvert, V3Ipv4Layout) {
  auto w = enc(v3_ipv4());
  ASSERT_EQ(w.size(), 16u);
  EXPECT_EQ(w[0], 0x31);  // version 3, type 1
  EXPECT_EQ(w[1], 7);
  EXPECT_EQ(w[2], 100);
  EXPECT_EQ(w[3], 2);
  EXPECT_EQ(w[4], 0x00);  // rsvd 0, interval 100 = 0x064
  EXPECT_EQ(w[5], 0x64);
  EXPECT_EQ(std::vector<std::uint8_t>(w.begin() + 8, w.end()),
            (std::vector<std::uint8_t>{10, 0, 0, 100, 10, 0, 0, 101}));
}

TEST(VrrpAdvert, V2Layout) {
  Advert a = v2_ipv4();
  a.auth_type = kAuthSimpleText;
  a.auth_data = {'s', 'e', 'c', 'r', 'e', 't', 0, 0};
  auto w = enc(a);
  ASSERT_EQ(w.size(), 8u + 8 + 8);
  EXPECT_EQ(w[0], 0x21);
  EXPECT_EQ(w[4], kAuthSimpleText);
  EXPECT_EQ(w[5], 1);  // seconds
  EXPECT_EQ(w[16], 's');
}

TEST(VrrpAdvert, RoundTrips) {
  Advert msg_only = v3_ipv4();
  msg_only.checksum = ChecksumMode::message_only;
  Advert v2_slow = v2_ipv4();
  v2_slow.interval_cs = 25500;
  Advert v3_max = v3_ipv4();
  v3_max.interval_cs = kMaxIntervalCs;
  v3_max.addresses.assign(255, IpAddr::v4(10, 1, 2, 3));
  for (const Advert& a : {v3_ipv4(), msg_only, v2_ipv4(), v2_slow, v3_max}) {
    auto w = enc(a);
    auto d = decode_advert(w, Family::ipv4, kSrc4, kDst4);
    ASSERT_TRUE(d.ok()) << drop_reason_name(d.reason());
    EXPECT_EQ(*d, a);
    EXPECT_EQ(enc(*d), w);
  }
  auto s6 = *IpAddr::parse("fe80::1");
  auto g6 = vrrp_group(Family::ipv6);
  auto w6 = enc(v3_ipv6(), s6, g6);
  EXPECT_EQ(w6.size(), 8u + 32);
  auto d6 = decode_advert(w6, Family::ipv6, s6, g6);
  ASSERT_TRUE(d6.ok()) << drop_reason_name(d6.reason());
  EXPECT_EQ(*d6, v3_ipv6());
}

TEST(VrrpAdvert, AcceptsBothIpv4ChecksumConventionsAndRecordsWhich) {
  for (auto mode : {ChecksumMode::pseudo_header, ChecksumMode::message_only}) {
    Advert a = v3_ipv4();
    a.checksum = mode;
    auto d = decode_advert(enc(a), Family::ipv4, kSrc4, kDst4);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->checksum, mode);
  }
}

TEST(VrrpAdvert, Ipv6RequiresThePseudoHeader) {
  auto s6 = *IpAddr::parse("fe80::1");
  auto g6 = vrrp_group(Family::ipv6);
  auto w = enc(v3_ipv6(), s6, g6);
  // Re-checksum the message alone, as an old IPv4 implementation would: rejected.
  std::vector<std::uint8_t> m = w;
  m[6] = m[7] = 0;
  auto c = fold_complement(ones_sum(m));
  m[6] = static_cast<std::uint8_t>(c >> 8);
  m[7] = static_cast<std::uint8_t>(c & 0xff);
  EXPECT_EQ(drop(m, Family::ipv6, s6, g6), DropReason::bad_checksum);
  // And the pseudo-header binds the addresses: another source fails.
  EXPECT_EQ(drop(w, Family::ipv6, *IpAddr::parse("fe80::2"), g6), DropReason::bad_checksum);
}

TEST(VrrpAdvert, V2ChecksumIsOverTheMessageOnly) {
  auto w = enc(v2_ipv4());
  EXPECT_TRUE(decode_advert(w, Family::ipv4, IpAddr::v4(192, 0, 2, 9), kDst4).ok());
}

TEST(VrrpAdvert, StructuralDropReasons) {
  auto good = enc(v3_ipv4());
  EXPECT_EQ(drop({}), DropReason::short_packet);
  EXPECT_EQ(drop({good.begin(), good.begin() + 7}), DropReason::short_packet);

  for (int v : {0, 1, 4, 15}) {
    auto w = good;
    w[0] = static_cast<std::uint8_t>(v << 4 | 1);
    reseal(w);
    EXPECT_EQ(drop(w), DropReason::bad_version) << v;
  }
  auto t = good;
  t[0] = 0x32;
  reseal(t);
  EXPECT_EQ(drop(t), DropReason::bad_type);

  auto zero = good;
  zero[3] = 0;
  reseal(zero);
  EXPECT_EQ(drop(zero), DropReason::bad_addr_count);

  auto cut = std::vector<std::uint8_t>(good.begin(), good.end() - 1);
  EXPECT_EQ(drop(cut), DropReason::bad_length);
  auto more = good;
  more[3] = 3;
  reseal(more);
  EXPECT_EQ(drop(more), DropReason::bad_length);
  auto trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(drop(trailing), DropReason::bad_length);

  auto sum = good;
  sum[7] ^= 1;
  EXPECT_EQ(drop(sum), DropReason::bad_checksum);

  auto zi = good;
  zi[4] = 0;
  zi[5] = 0;
  reseal(zi);
  EXPECT_EQ(drop(zi), DropReason::zero_interval);
}

TEST(VrrpAdvert, V2OverIpv6IsBadVersion) {
  auto s6 = *IpAddr::parse("fe80::1");
  auto g6 = vrrp_group(Family::ipv6);
  std::vector<std::uint8_t> w(8 + 16 + 8, 0);
  w[0] = 0x21;
  w[1] = 1;
  w[3] = 1;
  w[5] = 1;
  EXPECT_EQ(drop(w, Family::ipv6, s6, g6), DropReason::bad_version);
}

TEST(VrrpAdvert, V2ZeroIntervalAndLength) {
  auto w = enc(v2_ipv4());
  auto zi = w;
  zi[5] = 0;
  reseal(zi, ChecksumMode::message_only);
  EXPECT_EQ(drop(zi), DropReason::zero_interval);
  // Without its 8 bytes of authentication data a v2 advert is too short.
  std::vector<std::uint8_t> no_auth(w.begin(), w.end() - 8);
  EXPECT_EQ(drop(no_auth), DropReason::bad_length);
}

TEST(VrrpAdvert, ReservedBitsSurviveARoundTrip) {
  auto w = enc(v3_ipv4());
  w[4] |= 0xa0;
  reseal(w);
  auto d = decode_advert(w, Family::ipv4, kSrc4, kDst4);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->reserved, 0xa);
  EXPECT_EQ(d->interval_cs, 100);
  EXPECT_EQ(enc(*d), w);
}

TEST(VrrpAdvert, EverySingleBitFlipIsRejected) {
  auto good = enc(v3_ipv4());
  for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
    auto w = good;
    w[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(decode_advert(w, Family::ipv4, kSrc4, kDst4).ok()) << "bit " << bit;
  }
}

TEST(VrrpAdvert, EncodeRefusesWhatTheWireCannotCarry) {
  auto fails = [](const Advert& a, std::string_view needle) {
    auto w = encode_advert(a, a.family == Family::ipv4 ? kSrc4 : *IpAddr::parse("fe80::1"),
                           vrrp_group(a.family));
    ASSERT_FALSE(w.ok()) << needle;
    EXPECT_NE(w.error().message.find(needle), std::string::npos) << w.error().message;
  };
  Advert none = v3_ipv4();
  none.addresses.clear();
  fails(none, "0 addresses");
  Advert many = v3_ipv4();
  many.addresses.assign(256, IpAddr::v4(10, 0, 0, 1));
  fails(many, "256 addresses");
  Advert mixed = v3_ipv4();
  mixed.addresses.push_back(*IpAddr::parse("2001:db8::1"));
  fails(mixed, "is not ipv4");
  Advert slow = v3_ipv4();
  slow.interval_cs = 4096;
  fails(slow, "out of 1..4095");
  Advert zero = v3_ipv4();
  zero.interval_cs = 0;
  fails(zero, "out of 1..4095");
  Advert v2frac = v2_ipv4();
  v2frac.interval_cs = 150;
  fails(v2frac, "whole seconds");
  Advert v2v6 = v3_ipv6();
  v2v6.version = Version::v2;
  fails(v2v6, "IPv4 only");
  Advert rsvd = v3_ipv4();
  rsvd.reserved = 0x10;
  fails(rsvd, "reserved bits");
}

TEST(VrrpAdvert, DropReasonNamesAreStableAndUnique) {
  EXPECT_EQ(drop_reason_name(DropReason::bad_ttl), "bad-ttl");
  EXPECT_EQ(drop_reason_name(DropReason::short_packet), "short");
  EXPECT_EQ(drop_reason_name(DropReason::wrong_vrid), "wrong-vrid");
  EXPECT_EQ(drop_reason_name(DropReason::zero_interval), "zero-interval");
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    auto r = static_cast<DropReason>(i);
    auto n = drop_reason_name(r);
    EXPECT_TRUE(names.insert(n).second) << n;
    EXPECT_EQ(drop_reason_from_name(n), r);
  }
  EXPECT_FALSE(drop_reason_from_name("nope").has_value());
  DropCounters c;
  c.count(DropReason::bad_ttl);
  c.count(DropReason::bad_ttl);
  c.count(DropReason::wrong_vrid);
  EXPECT_EQ(c[DropReason::bad_ttl], 2u);
  EXPECT_EQ(c.total(), 3u);
}

}  // namespace
}  // namespace baton::vrrp
