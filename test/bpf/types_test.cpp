#include "bpf/types.hpp"

#include <gtest/gtest.h>

#include <set>

namespace baton::bpf {
namespace {

TEST(BpfTypes, MacRoundTripsAndRejectsGarbage) {
  auto m = parse_mac("02:00:5e:00:01:0a");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(format_mac(*m), "02:00:5e:00:01:0a");
  EXPECT_FALSE(parse_mac("02:00:5e:00:01").ok());
  EXPECT_FALSE(parse_mac("02:00:5e:00:01:0a:") .ok());
  EXPECT_FALSE(parse_mac("zz:00:5e:00:01:0a").ok());
}

TEST(BpfTypes, AddressesParseInNetworkOrder) {
  auto a = IpAddress::parse("10.1.2.3");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->family, 4);
  EXPECT_EQ(a->bytes[0], 10);
  EXPECT_EQ(a->bytes[3], 3);
  EXPECT_EQ(a->str(), "10.1.2.3");
  auto b = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->family, 6);
  EXPECT_EQ(b->bytes[0], 0x20);
  EXPECT_EQ(b->bytes[15], 1);
  EXPECT_FALSE(IpAddress::parse("10.1.2").ok());
}

TEST(BpfTypes, VerdictNamesAreDistinct) {
  std::set<std::string_view> names;
  for (std::uint32_t v = 0; v < kVerdicts; ++v) {
    const auto n = verdict_name(static_cast<Verdict>(v));
    EXPECT_NE(n, "unknown");
    names.insert(n);
  }
  EXPECT_EQ(names.size(), kVerdicts);
}

}  // namespace
}  // namespace baton::bpf
