#include "vrrp/checksum.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace baton::vrrp {
namespace {

TEST(VrrpChecksum, Rfc1071Example) {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
  std::vector<std::uint8_t> d = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(fold_complement(ones_sum(d)), static_cast<std::uint16_t>(~0xddf2 & 0xffff));
}

TEST(VrrpChecksum, OddLengthPadsWithZero) {
  std::vector<std::uint8_t> odd = {0x12, 0x34, 0x56};
  std::vector<std::uint8_t> even = {0x12, 0x34, 0x56, 0x00};
  EXPECT_EQ(ones_sum(odd), ones_sum(even));
}

TEST(VrrpChecksum, LongInputDoesNotOverflow) {
  std::vector<std::uint8_t> d(200000, 0xff);
  // All-ones words: the ones' complement sum stays 0xffff, the checksum 0.
  EXPECT_EQ(fold_complement(ones_sum(d)), 0);
}

TEST(VrrpChecksum, PseudoHeaderIpv4) {
  // 10.0.0.1 -> 224.0.0.18, protocol 112, length 12.
  auto sum = pseudo_header_sum(IpAddr::v4(10, 0, 0, 1), IpAddr::v4(224, 0, 0, 18), 12);
  std::uint32_t want = 0x0a00 + 0x0001 + 0xe000 + 0x0012 + 112 + 12;
  EXPECT_EQ(fold_complement(sum), fold_complement(want));
}

TEST(VrrpChecksum, ConventionsDifferOverIpv4AndNotOverIpv6) {
  std::vector<std::uint8_t> msg = {0x31, 0x07, 0x64, 0x01, 0x00, 0x64, 0x00, 0x00,
                                   10,   0,    0,    100};
  auto src = IpAddr::v4(10, 0, 0, 1), dst = vrrp_group(Family::ipv4);
  EXPECT_NE(vrrp_checksum(msg, src, dst, ChecksumMode::pseudo_header),
            vrrp_checksum(msg, src, dst, ChecksumMode::message_only));
  auto s6 = *IpAddr::parse("fe80::1"), d6 = vrrp_group(Family::ipv6);
  EXPECT_EQ(vrrp_checksum(msg, s6, d6, ChecksumMode::pseudo_header),
            vrrp_checksum(msg, s6, d6, ChecksumMode::message_only));
}

TEST(VrrpChecksum, ChecksumFieldCountsAsZero) {
  std::vector<std::uint8_t> msg = {0x31, 0x07, 0x64, 0x01, 0x00, 0x64, 0xab, 0xcd,
                                   10,   0,    0,    100};
  auto src = IpAddr::v4(10, 0, 0, 1), dst = vrrp_group(Family::ipv4);
  auto c = vrrp_checksum(msg, src, dst, ChecksumMode::pseudo_header);
  msg[6] = 0;
  msg[7] = 0;
  EXPECT_EQ(c, vrrp_checksum(msg, src, dst, ChecksumMode::pseudo_header));
}

}  // namespace
}  // namespace baton::vrrp
