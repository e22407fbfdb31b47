#include "vrrp/ip_packet.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "vrrp/checksum.hpp"

namespace baton::vrrp {
namespace {

const std::vector<std::uint8_t> kPayload = {1, 2, 3, 4, 5};

TEST(VrrpIpPacket, Ipv4RoundTrip) {
  auto src = IpAddr::v4(10, 0, 0, 1), dst = vrrp_group(Family::ipv4);
  auto p = encode_ip_packet(src, dst, 255, kPayload);
  ASSERT_EQ(p.size(), 25u);
  EXPECT_EQ(fold_complement(ones_sum(std::span(p).first(20))), 0);  // header checksum holds
  auto rx = parse_ip_packet(p);
  ASSERT_TRUE(rx.ok());
  EXPECT_EQ(rx->family, Family::ipv4);
  EXPECT_EQ(rx->ttl, 255);
  EXPECT_EQ(rx->src, src);
  EXPECT_EQ(rx->dst, dst);
  EXPECT_EQ(std::vector<std::uint8_t>(rx->payload.begin(), rx->payload.end()), kPayload);
}

TEST(VrrpIpPacket, Ipv6RoundTrip) {
  auto src = *IpAddr::parse("fe80::1"), dst = vrrp_group(Family::ipv6);
  auto p = encode_ip_packet(src, dst, 255, kPayload);
  ASSERT_EQ(p.size(), 45u);
  auto rx = parse_ip_packet(p);
  ASSERT_TRUE(rx.ok());
  EXPECT_EQ(rx->family, Family::ipv6);
  EXPECT_EQ(rx->ttl, 255);
  EXPECT_EQ(rx->src, src);
  EXPECT_EQ(rx->dst, dst);
  EXPECT_EQ(rx->payload.size(), kPayload.size());
}

TEST(VrrpIpPacket, PaddingPastTheIpLengthIsIgnored) {
  auto p = encode_ip_packet(IpAddr::v4(10, 0, 0, 1), vrrp_group(Family::ipv4), 255, kPayload);
  p.resize(46, 0);  // Ethernet minimum frame padding
  auto rx = parse_ip_packet(p);
  ASSERT_TRUE(rx.ok());
  EXPECT_EQ(rx->payload.size(), kPayload.size());
}

TEST(VrrpIpPacket, RejectsWhatIsNotAVrrpIpPacket) {
  auto good = encode_ip_packet(IpAddr::v4(10, 0, 0, 1), vrrp_group(Family::ipv4), 255, kPayload);
  auto not_ip = [](std::vector<std::uint8_t> p) {
    auto rx = parse_ip_packet(p);
    return !rx.ok() && rx.reason() == DropReason::not_ip;
  };
  EXPECT_TRUE(not_ip({}));
  EXPECT_TRUE(not_ip({good.begin(), good.begin() + 19}));
  auto proto = good;
  proto[9] = 17;
  EXPECT_TRUE(not_ip(proto));  // (checksum also wrong now, either way not ours)
  auto sum = good;
  sum[10] ^= 1;
  EXPECT_TRUE(not_ip(sum));
  auto longer = good;
  longer[3] = static_cast<std::uint8_t>(longer[3] + 1);
  EXPECT_TRUE(not_ip(longer));
  auto frag = good;
  frag[6] = 0x20;  // more fragments
  auto c = fold_complement(ones_sum(std::span(frag).first(10)) +
                           ones_sum(std::span(frag).subspan(12, 8)));
  frag[10] = static_cast<std::uint8_t>(c >> 8);
  frag[11] = static_cast<std::uint8_t>(c & 0xff);
  EXPECT_TRUE(not_ip(frag));
  auto v5 = good;
  v5[0] = 0x55;
  EXPECT_TRUE(not_ip(v5));
  auto six = encode_ip_packet(*IpAddr::parse("fe80::1"), vrrp_group(Family::ipv6), 255, kPayload);
  six[6] = 0;  // hop-by-hop header: not followed
  EXPECT_TRUE(not_ip(six));
}

TEST(VrrpIpPacket, EthernetFramesWithAndWithoutVlan) {
  auto ip = encode_ip_packet(IpAddr::v4(10, 0, 0, 1), vrrp_group(Family::ipv4), 255, kPayload);
  std::vector<std::uint8_t> frame = {1, 0, 0x5e, 0, 0, 0x12, 0, 0, 0x5e, 0, 1, 7, 0x08, 0x00};
  frame.insert(frame.end(), ip.begin(), ip.end());
  auto rx = parse_ethernet_frame(frame);
  ASSERT_TRUE(rx.ok());
  EXPECT_EQ(rx->payload.size(), kPayload.size());

  std::vector<std::uint8_t> tagged(frame.begin(), frame.begin() + 12);
  for (int b : {0x81, 0x00, 0x00, 0x0a, 0x08, 0x00}) tagged.push_back(static_cast<std::uint8_t>(b));
  tagged.insert(tagged.end(), ip.begin(), ip.end());
  EXPECT_TRUE(parse_ethernet_frame(tagged).ok());

  auto arp = frame;
  arp[13] = 0x06;
  EXPECT_FALSE(parse_ethernet_frame(arp).ok());
}

}  // namespace
}  // namespace baton::vrrp
