#include "bpf/fake_map_writer.hpp"

#include <gtest/gtest.h>

#include "support/packets.hpp"

namespace baton::bpf {
namespace {

dist::Table table(std::vector<dist::MemberSpec> m, std::uint32_t buckets, std::uint64_t gen) {
  auto t = dist::Table::build(m, buckets, gen);
  EXPECT_TRUE(t.ok()) << t.error().message;
  return std::move(t).value();
}

TEST(FakeMapWriter, AppliedTableBecomesLiveWithItsGeneration) {
  FakeMapWriter w;
  EXPECT_EQ(*w.live_generation(), 0u);
  const auto t = table({{1, 100}, {2, 100}}, 101, 5);
  ASSERT_TRUE(w.apply_table(t, dist::Mode::general, 42).ok());
  EXPECT_EQ(*w.live_generation(), 5u);
  EXPECT_EQ(w.live().seed, 42u);
  EXPECT_EQ(w.swaps(), 1u);
  EXPECT_TRUE(std::equal(t.buckets().begin(), t.buckets().end(), w.live().buckets.begin()));
}

TEST(FakeMapWriter, OwnerOfMatchesTheSharedHash) {
  FakeMapWriter w;
  const auto t = table({{1, 100}, {2, 100}, {3, 50}}, 1009, 2);
  const auto frame = test::Frame().eth().ipv4(test::ip4("10.0.0.1"), test::ip4("10.0.0.2"))
                         .tcp(1234, 80).bytes();
  auto pkt = dist::parse_frame(frame);
  ASSERT_TRUE(pkt.ok());
  EXPECT_FALSE(w.owner_of(*pkt).has_value()) << "no table yet";
  ASSERT_TRUE(w.apply_table(t, dist::Mode::general_l4, 9).ok());
  EXPECT_EQ(w.owner_of(*pkt),
            t.owner(dist::bucket_of(dist::flow_hash(*pkt, dist::Mode::general_l4, 9), 1009)));
}

TEST(FakeMapWriter, RefusesWhatTheKernelMapsCannotHold) {
  FakeMapWriter w;
  EXPECT_FALSE(w.apply_table(table({{1, 1}}, 7, 0), dist::Mode::general, 1).ok())
      << "generation 0 means no table";
  EXPECT_FALSE(w.apply_table(table({{4096, 1}}, 7, 1), dist::Mode::general, 1).ok());
  EXPECT_FALSE(w.set_member_port(BATON_XDP_MAX_MEMBERS, Side::ext, {}).ok());
  EXPECT_FALSE(w.set_member_port(1, Side::ext, {{}, {}, BATON_XDP_MAX_PORTS}).ok());
  EXPECT_FALSE(w.set_uplink(0, Side::ext).ok());
  EXPECT_FALSE(w.set_uplink(BATON_XDP_MAX_IFINDEX, Side::ext).ok());
  EXPECT_FALSE(w.set_tx_port(BATON_XDP_MAX_PORTS, 3).ok());
  EXPECT_EQ(w.swaps(), 0u);
}

TEST(FakeMapWriter, KeepsPortsUplinksAndAddresses) {
  FakeMapWriter w;
  const MemberPort p{{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, 3};
  ASSERT_TRUE(w.set_member_port(7, Side::internal, p).ok());
  EXPECT_EQ(w.port(7, Side::internal), p);
  EXPECT_FALSE(w.port(7, Side::ext).has_value());
  ASSERT_TRUE(w.clear_member_port(7, Side::internal).ok());
  EXPECT_FALSE(w.port(7, Side::internal).has_value());
  ASSERT_TRUE(w.set_uplink(12, Side::ext).ok());
  EXPECT_EQ(w.uplink(12), Side::ext);
  ASSERT_TRUE(w.set_tx_port(1, 12).ok());
  EXPECT_EQ(w.tx_port(1), 12u);
  auto a = IpAddress::parse("192.0.2.1");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(w.add_local_address(*a).ok());
  EXPECT_EQ(w.local_addresses().count(*a), 1u);
  ASSERT_TRUE(w.remove_local_address(*a).ok());
  EXPECT_TRUE(w.local_addresses().empty());
}

TEST(FakeMapWriter, FailNextFailsExactlyOneCall) {
  FakeMapWriter w;
  w.fail_next("map full");
  auto s = w.set_uplink(3, Side::ext);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "map full");
  EXPECT_TRUE(w.set_uplink(3, Side::ext).ok());
}

}  // namespace
}  // namespace baton::bpf
