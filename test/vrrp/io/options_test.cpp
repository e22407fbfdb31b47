#include "vrrp/io/options.hpp"

#include <gtest/gtest.h>

#include "vrrp/io/announce.hpp"
#include "vrrp/io/heartbeat_link.hpp"

namespace baton::vrrp::io {
namespace {

using namespace std::chrono_literals;

TEST(Options, Durations) {
  EXPECT_EQ(*parse_duration("10ms"), 10ms);
  EXPECT_EQ(*parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(*parse_duration("0.01"), 10ms);
  EXPECT_EQ(*parse_duration("250us"), 250us);
  EXPECT_FALSE(parse_duration("fast"));
  EXPECT_FALSE(parse_duration("10 parsecs"));
  EXPECT_NE(parse_duration("3h").error().message.find("unit"), std::string::npos);
}

TEST(Options, AdvertInterval) {
  EXPECT_EQ(*parse_interval_cs("10ms"), 1);
  EXPECT_EQ(*parse_interval_cs("1s"), 100);
  EXPECT_FALSE(parse_interval_cs("15ms"));
  EXPECT_FALSE(parse_interval_cs("0"));
  EXPECT_FALSE(parse_interval_cs("41s"));
}

TEST(Options, FinishChecksAndFills) {
  DaemonOptions o;
  EXPECT_NE(finish_options(o).error().message.find("--interface"), std::string::npos);
  o.interface = "eth0";
  EXPECT_NE(finish_options(o).error().message.find("--vip"), std::string::npos);
  o.vips = {*IpPrefix::parse("192.0.2.1/24")};
  o.vrrp.vrid = 7;
  ASSERT_TRUE(finish_options(o));
  EXPECT_EQ(o.vmac_name, "vrrp.7");
  EXPECT_EQ(o.vrrp.name, "vrid7");
  ASSERT_EQ(o.vrrp.tracks.size(), 1u);
  EXPECT_EQ(o.vrrp.tracks[0].name, "eth0");
  EXPECT_EQ(o.vrrp.tracks[0].weight, 0);  // link down = fault
  EXPECT_EQ(o.vrrp.virtual_addresses.at(0), *IpAddr::parse("192.0.2.1"));
}

TEST(Options, RejectsMixedFamiliesAndV2OverIpv6) {
  DaemonOptions o;
  o.interface = "eth0";
  o.vips = {*IpPrefix::parse("192.0.2.1"), *IpPrefix::parse("2001:db8::1")};
  EXPECT_FALSE(finish_options(o));
  DaemonOptions v6;
  v6.interface = "eth0";
  v6.vips = {*IpPrefix::parse("2001:db8::1/64")};
  v6.vrrp.version = Version::v2;
  EXPECT_NE(finish_options(v6).error().message.find("IPv4 only"), std::string::npos);
}

TEST(Options, HeartbeatMultiplierAtLeastThree) {
  DaemonOptions o;
  o.interface = "eth0";
  o.vips = {*IpPrefix::parse("192.0.2.1")};
  o.heartbeat = HeartbeatOptions{*Endpoint::parse("10.0.0.1:7405"),
                                 *Endpoint::parse("10.0.0.2:7405"), {1ms, 2}};
  EXPECT_NE(finish_options(o).error().message.find("multiplier"), std::string::npos);
}

TEST(Options, Endpoints) {
  auto e = Endpoint::parse("[2001:db8::2]:7000");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port, 7000);
  EXPECT_EQ(e->to_string(), "[2001:db8::2]:7000");
  EXPECT_FALSE(Endpoint::parse("10.0.0.1"));
  EXPECT_FALSE(Endpoint::parse("10.0.0.1:0"));
  EXPECT_FALSE(Endpoint::parse("10.0.0.1:70000"));
}

TEST(Announce, GratuitousArpFrame) {
  auto mac = virtual_mac(Family::ipv4, 51);
  EXPECT_EQ(mac_to_string(mac), "00:00:5e:00:01:33");
  auto f = gratuitous_arp_frame(mac, *IpAddr::parse("192.0.2.100"));
  ASSERT_EQ(f.size(), 60u);
  EXPECT_EQ(f[0], 0xff);                 // broadcast
  EXPECT_EQ(f[11], 0x33);                // source MAC = virtual MAC
  EXPECT_EQ(f[12], 0x08);
  EXPECT_EQ(f[13], 0x06);                // ARP
  EXPECT_EQ(f[21], 1);                   // request
  EXPECT_EQ(f[27], 0x33);                // sender MAC
  EXPECT_EQ(f[28], 192);                 // sender IP
  EXPECT_EQ(f[38], 192);                 // target IP = sender IP
  EXPECT_EQ(f[41], 100);
}

TEST(Announce, UnsolicitedNaHasValidChecksum) {
  auto mac = virtual_mac(Family::ipv6, 3);
  EXPECT_EQ(mac[4], 0x02);
  auto src = *IpAddr::parse("fe80::1");
  auto f = unsolicited_na_frame(mac, src, *IpAddr::parse("2001:db8::100"));
  ASSERT_EQ(f.size(), 14u + 40u + 32u);
  EXPECT_EQ(f[0], 0x33);
  EXPECT_EQ(f[20], 58);   // next header ICMPv6
  EXPECT_EQ(f[21], 255);  // hop limit
  // Summing pseudo-header + ICMPv6 including its checksum gives 0xffff (folds to 0).
  std::span<const std::uint8_t> icmp(f.data() + 54, 32);
  std::uint32_t sum = ones_sum(std::span(f.data() + 22, 32));  // src + dst
  sum += 32 + 58;
  EXPECT_EQ(fold_complement(ones_sum(icmp, sum)), 0);
  EXPECT_EQ(icmp[0], 136);
  EXPECT_EQ(icmp[4], 0xa0);  // Router | Override
}

TEST(Announce, BackoffOffsetsDouble) {
  auto o = announce_offsets(5, 20ms);
  ASSERT_EQ(o.size(), 5u);
  EXPECT_EQ(o[0], 0ms);
  EXPECT_EQ(o[1], 20ms);
  EXPECT_EQ(o[2], 40ms);
  EXPECT_EQ(o[3], 80ms);
  EXPECT_EQ(o[4], 160ms);
}

}  // namespace
}  // namespace baton::vrrp::io
