// Carrier on a member's ports: its loss fails the member at once (no waiting for missed
// heartbeats) and moves only its buckets; it returns once every port has carrier again and
// its heartbeats are fresh.
#include <gtest/gtest.h>

#include "group_test_util.hpp"
#include "orchestrator/group.hpp"

namespace baton::orchestrator {
namespace {

using namespace testing;
using namespace std::chrono_literals;

// A member plugged into the ports <name>-ext and <name>-int.
config::MemberConfig with_ports(const char* name, dist::MemberId id) {
  config::MemberConfig m = member(name, id);
  m.ports = {std::string(name) + "-ext", std::string(name) + "-int"};
  return m;
}

class Carrier : public ::testing::Test {
 protected:
  void SetUp() override {
    GroupSettings s;
    s.members = {with_ports("gw1", 1), with_ports("gw2", 2), with_ports("gw3", 3)};
    s.buckets = 1009;
    s.heartbeat_interval = 10ms;
    auto g = GroupCore::create(s, now);
    ASSERT_TRUE(g) << g.error().message;
    core.emplace(std::move(*g));
    core->set_role(now, Role::active);
    for (std::uint32_t i = 1; i <= 3; ++i) {
      control::Register r;
      r.name = "gw" + std::to_string(i);
      core->on_register(now, from(100 + i), r, "x");
    }
    ASSERT_TRUE(core->removed().empty());
  }
  Effects heartbeat(std::uint32_t i) {
    return core->on_heartbeat(now, from(100 + i), control::Heartbeat{});
  }
  TimePoint now{std::chrono::seconds(1)};
  std::optional<GroupCore> core;
};

TEST_F(Carrier, LossOfCarrierFailsTheMemberAtOnceAndMovesOnlyItsBuckets) {
  auto before = core->table();
  now += 1ms;  // heartbeats are fresh: only the carrier says it is gone
  auto fx = core->on_carrier(now, 3, "gw3-ext", false);
  ASSERT_TRUE(fx.table) << "not committed at once";
  EXPECT_EQ(core->find("gw3")->state, MemberState::failed);
  EXPECT_EQ(core->find("gw3")->state_reason, "no carrier on gw3-ext");
  EXPECT_FALSE(core->pending()) << "a failure is not prepared";
  for (std::uint32_t b = 0; b < before.size(); ++b) {
    if (before.owner(b) != 3) EXPECT_EQ(fx.table->owner(b), before.owner(b)) << "bucket " << b;
    else EXPECT_NE(fx.table->owner(b), 3);
  }
  // The second port going down too changes nothing more.
  EXPECT_FALSE(core->on_carrier(now, 3, "gw3-int", false).table);
  // Heartbeats still arriving (the control network is another path) do not bring it back.
  EXPECT_FALSE(heartbeat(3).table);
  EXPECT_EQ(core->find("gw3")->state, MemberState::failed);
  // One port back is not enough.
  EXPECT_FALSE(core->on_carrier(now, 3, "gw3-ext", true).table);
  // Both back with fresh heartbeats: it returns, and its buckets with it.
  now += 2ms;
  heartbeat(3);
  auto back = core->on_carrier(now, 3, "gw3-int", true);
  ASSERT_TRUE(back.table);
  EXPECT_EQ(core->find("gw3")->state, MemberState::active);
  EXPECT_TRUE(back.table->same_buckets(before));
}

TEST_F(Carrier, CarrierBackWithoutHeartbeatsWaitsForThem) {
  core->on_carrier(now, 2, "gw2-ext", false);
  now += 100ms;  // the member died with its links: no heartbeats since
  auto fx = core->on_carrier(now, 2, "gw2-ext", true);
  EXPECT_FALSE(fx.table);
  EXPECT_EQ(core->find("gw2")->state, MemberState::failed);
  ASSERT_FALSE(fx.log.empty());
  EXPECT_NE(fx.log[0].find("carrier back on gw2-ext; it returns when its heartbeats resume"),
            std::string::npos)
      << fx.log[0];
  auto hb = heartbeat(2);
  ASSERT_TRUE(hb.table);
  EXPECT_EQ(core->find("gw2")->state, MemberState::active);
}

TEST(CarrierAtStart, AMemberRegisteringWithoutCarrierIsFailedAndUnknownIdsAreIgnored) {
  TimePoint now{std::chrono::seconds(1)};
  GroupSettings s;
  s.members = {with_ports("gw1", 1), with_ports("gw2", 2)};
  s.buckets = 1009;
  auto core = GroupCore::create(s, now);
  ASSERT_TRUE(core);
  core->set_role(now, Role::active);
  EXPECT_TRUE(core->on_carrier(now, 9, "gw9-ext", false).log.empty());
  EXPECT_FALSE(core->on_carrier(now, 1, "gw1-int", false).table);  // not registered yet
  EXPECT_EQ(core->find("gw1")->state, MemberState::unregistered);
  control::Register r;
  r.name = "gw1";
  auto fx = core->on_register(now, from(101), r, "x");
  EXPECT_EQ(core->find("gw1")->state, MemberState::failed);
  EXPECT_EQ(core->find("gw1")->state_reason, "registered, but no carrier on gw1-int");
  EXPECT_FALSE(core->table().is_live(1));
}

}  // namespace
}  // namespace baton::orchestrator
