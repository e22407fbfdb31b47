#include "vrrp/io/heartbeat_wire.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace baton::vrrp::io {
namespace {

TEST(HeartbeatWire, RoundTrips) {
  HeartbeatMessage m{false, true, 0xdeadbeef, 42, 1500, 5};
  auto b = encode_heartbeat(m);
  EXPECT_EQ(b[0], 'B');
  EXPECT_EQ(b[3], 0x02);  // master, not serving
  EXPECT_EQ(b[4], 0xde);
  auto d = decode_heartbeat(b);
  ASSERT_TRUE(d.message);
  EXPECT_EQ(*d.message, m);
}

TEST(HeartbeatWire, DropsWithReasons) {
  auto good = encode_heartbeat(HeartbeatMessage{});
  EXPECT_EQ(decode_heartbeat(std::span(good).first(19)).drop, HeartbeatDrop::short_packet);
  auto bad = good;
  bad[1] = 'X';
  EXPECT_EQ(decode_heartbeat(bad).drop, HeartbeatDrop::bad_magic);
  bad = good;
  bad[2] = 2;
  EXPECT_EQ(decode_heartbeat(bad).drop, HeartbeatDrop::bad_version);
  bad = good;
  bad[16] = 0;
  EXPECT_EQ(decode_heartbeat(bad).drop, HeartbeatDrop::bad_timing);
  bad = good;
  bad[12] = bad[13] = bad[14] = bad[15] = 0;
  EXPECT_EQ(decode_heartbeat(bad).drop, HeartbeatDrop::bad_timing);
  EXPECT_FALSE(decode_heartbeat(bad).message);
  EXPECT_EQ(heartbeat_drop_name(HeartbeatDrop::bad_magic), "bad-magic");
}

TEST(HeartbeatWire, IgnoresTrailingBytes) {
  auto b = encode_heartbeat(HeartbeatMessage{});
  std::vector<std::uint8_t> longer(b.begin(), b.end());
  longer.push_back(0x99);
  EXPECT_TRUE(decode_heartbeat(longer).message);
}

}  // namespace
}  // namespace baton::vrrp::io
