// Value parsers (addresses, endpoints, MACs, names, paths) and the typo suggestions.
#include "config/values.hpp"

#include <gtest/gtest.h>

#include "config/suggest.hpp"

namespace baton::config {
namespace {

std::string error_of(const auto& r) { return r.ok() ? "(accepted)" : r.error().message; }

TEST(ConfigValues, Prefix) {
  auto p = parse_prefix("192.0.2.10/24");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->address.family, Family::ipv4);
  EXPECT_EQ(p->length, 24);
  EXPECT_EQ(p->to_string(), "192.0.2.10/24");
  auto q = parse_prefix("2001:db8::10/128");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->address.family, Family::ipv6);
  EXPECT_EQ(q->to_string(), "2001:db8::10/128");
  EXPECT_EQ(error_of(parse_prefix("192.0.2.10")),
            "'192.0.2.10' needs a prefix length, e.g. 192.0.2.10/24");
  EXPECT_EQ(error_of(parse_prefix("2001:db8::1")),
            "'2001:db8::1' needs a prefix length, e.g. 2001:db8::1/64");
  EXPECT_EQ(error_of(parse_prefix("192.0.2.10/33")),
            "'192.0.2.10/33': prefix length must be 0..32");
  EXPECT_EQ(error_of(parse_prefix("2001:db8::1/129")),
            "'2001:db8::1/129': prefix length must be 0..128");
  EXPECT_EQ(error_of(parse_prefix("192.0.2.10/")), "'192.0.2.10/': prefix length must be 0..32");
  EXPECT_EQ(error_of(parse_prefix("192.0.2.10/2x")),
            "'192.0.2.10/2x': prefix length must be 0..32");
  EXPECT_EQ(error_of(parse_prefix("224.0.0.18/32")), "'224.0.0.18/32' is a multicast address");
  EXPECT_EQ(error_of(parse_prefix("0.0.0.0/0")), "'0.0.0.0/0' is the unspecified address");
  EXPECT_EQ(error_of(parse_prefix("gateway/24")), "'gateway' is not an IPv4 or IPv6 address");
}

TEST(ConfigValues, AddressRefusesEmbeddedNulAndPrefix) {
  EXPECT_FALSE(parse_ip(std::string_view("192.0.2.1\0junk", 14)).ok());
  EXPECT_EQ(error_of(parse_ip("192.0.2.1/24")),
            "'192.0.2.1/24': expected an address without a prefix length");
  EXPECT_TRUE(parse_ip("fe80::1").ok());
}

TEST(ConfigValues, Endpoint) {
  auto e = parse_endpoint("127.0.0.1:9470");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, 9470);
  EXPECT_EQ(e->to_string(), "127.0.0.1:9470");
  auto v6 = parse_endpoint("[::1]:80");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->to_string(), "[::1]:80");
  EXPECT_EQ(error_of(parse_endpoint("::1:80")),
            "'::1:80': write an IPv6 address in brackets, e.g. [::1]:9470");
  EXPECT_EQ(error_of(parse_endpoint("127.0.0.1:0")), "'127.0.0.1:0': port must be 1..65535");
  EXPECT_EQ(error_of(parse_endpoint("127.0.0.1:65536")),
            "'127.0.0.1:65536': port must be 1..65535");
  EXPECT_EQ(error_of(parse_endpoint("[::1]80")), "'[::1]80' is not [address]:port");
  EXPECT_EQ(error_of(parse_endpoint("localhost:80")), "'localhost' is not an IPv4 or IPv6 address");
}

TEST(ConfigValues, Mac) {
  auto m = parse_mac("02:00:5E:10:00:0a");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->to_string(), "02:00:5e:10:00:0a");
  EXPECT_TRUE(parse_mac("02-00-5e-10-00-0a").ok());
  EXPECT_FALSE(parse_mac("02:00-5e:10:00:0a").ok());  // mixed separators
  EXPECT_FALSE(parse_mac("02:00:5e:10:00:0g").ok());
  EXPECT_FALSE(parse_mac("02:00:5e:10:00").ok());
  EXPECT_EQ(error_of(parse_mac("01:00:5e:00:00:12")),
            "'01:00:5e:00:00:12' is a multicast MAC address");
  EXPECT_EQ(error_of(parse_mac("00:00:00:00:00:00")),
            "'00:00:00:00:00:00' is the all-zero MAC address");
}

TEST(ConfigValues, Names) {
  EXPECT_TRUE(parse_name("gw-1.site_a").ok());
  EXPECT_EQ(error_of(parse_name("-gw")), "'-gw': a name starts with a letter or digit");
  EXPECT_EQ(error_of(parse_name("gw 1")),
            "'gw 1': a name may hold only letters, digits, '.', '_' and '-'");
  EXPECT_FALSE(parse_name(std::string(64, 'a')).ok());
  EXPECT_TRUE(parse_name(std::string(63, 'a')).ok());
  EXPECT_TRUE(parse_ifname("eth0.100").ok());
  EXPECT_TRUE(parse_ifname("enp0s31f6").ok());
  EXPECT_FALSE(parse_ifname("eth/0").ok());
  EXPECT_FALSE(parse_ifname("..").ok());
  EXPECT_FALSE(parse_ifname("sixteen-chars-xx").ok());
  EXPECT_TRUE(parse_group_name("baton-ops").ok());
  EXPECT_FALSE(parse_group_name("Baton").ok());
  EXPECT_TRUE(parse_abs_path("/etc/baton/key").ok());
  EXPECT_FALSE(parse_abs_path("key").ok());
}

TEST(ConfigSuggest, EditDistance) {
  EXPECT_EQ(edit_distance("weight", "weight"), 0u);
  EXPECT_EQ(edit_distance("wieght", "weight"), 1u);  // transposition
  EXPECT_EQ(edit_distance("weigh", "weight"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(ConfigSuggest, Closest) {
  constexpr std::string_view keys[] = {"name", "id", "weight", "mac"};
  EXPECT_EQ(closest("wieght", keys), "weight");
  EXPECT_EQ(closest("nmae", keys), "name");
  EXPECT_EQ(closest("colour", keys), "");
  EXPECT_EQ(did_you_mean("wieght", keys), " (did you mean 'weight'?)");
  EXPECT_EQ(did_you_mean("colour", keys), "");
}

}  // namespace
}  // namespace baton::config
