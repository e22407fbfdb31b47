#include "sync/flow_text.hpp"

#include <netinet/in.h>

#include <gtest/gtest.h>

namespace baton::sync {
namespace {

void expect_error(std::string_view text, std::string_view needle) {
  auto k = parse_flow(text);
  ASSERT_FALSE(k.ok()) << "parsed: " << text;
  EXPECT_NE(k.error().message.find(needle), std::string::npos) << k.error().message;
}

TEST(FlowText, TcpAndUdpWithPortsBothFamilies) {
  auto k = parse_flow("tcp 10.0.1.10:40000 203.0.113.10:7007");
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(to_string(*k), "tcp 10.0.1.10:40000 -> 203.0.113.10:7007");
  auto u = parse_flow("  udp  [2001:db8::1]:5000\t[2001:db8::2]:53 ");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->family, 6);
  EXPECT_EQ(u->proto, IPPROTO_UDP);
  EXPECT_EQ(u->orig.sport, 5000);
  EXPECT_EQ(u->orig.dport, 53);
}

TEST(FlowText, IcmpEchoAndOtherProtocols) {
  auto k = parse_flow("icmp 10.0.1.10 203.0.113.10 id 7");
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->orig.sport, 7);
  EXPECT_EQ(k->orig.dport, 8 << 8);
  auto g = parse_flow("proto 47 10.0.0.1 10.0.0.2");
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->proto, 47);
}

TEST(FlowText, ErrorsNameTheWord) {
  expect_error("", "empty");
  expect_error("tpc 1.1.1.1:1 2.2.2.2:2", "unknown protocol \"tpc\"");
  expect_error("tcp 1.1.1.1:1", "a source and a destination are needed");
  expect_error("tcp 1.1.1.1 2.2.2.2:2", "source \"1.1.1.1\" needs a port");
  expect_error("tcp 1.1.1.1:1 2.2.2.2:70000", "port 70000 is above 65535");
  expect_error("tcp 1.1.1.1:x 2.2.2.2:2", "port \"x\" is not a number");
  expect_error("tcp 1.1.1.300:1 2.2.2.2:2", "source \"1.1.1.300\" is not an IPv4 or IPv6 address");
  expect_error("tcp 1.1.1.1:1 [::1]:2", "different families");
  expect_error("icmp 1.1.1.1:5 2.2.2.2", "this protocol has no ports");
  expect_error("icmp ::1 ::2", "icmp with IPv6 addresses");
  expect_error("tcp 1.1.1.1:1 2.2.2.2:2 extra", "unexpected \"extra\"");
  expect_error("udp [::1:5 [::2]:6", "no closing ']'");
  expect_error("proto", "needs a protocol number");
  expect_error("proto 256 1.1.1.1 2.2.2.2", "protocol 256 is above 255");
  expect_error(std::string(300, 'a'), "300 characters, at most 256");
  expect_error("tcp 1.1.1.1:1\n2.2.2.2:2", "control character");
}

}  // namespace
}  // namespace baton::sync
