// Sync groups: the instances of one orchestrator (one per segment) change state together.
#include "vrrp/sync_group.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "sim_lan.hpp"

namespace baton::vrrp::test {
namespace {

// Two orchestrators, each with an instance on segment 1 (uplink) and 2 (downlink).
struct Pair {
  Lan lan;
  std::size_t a = 0, b = 0;
  Pair(std::uint8_t prio_a, std::uint8_t prio_b, bool track_a = false,
       const std::function<void(Config&)>& tweak_b = {}) {
    auto cfg = [&](std::string n, std::uint8_t host, std::uint8_t prio, std::uint8_t vrid) {
      std::string track = n + "-if";
      Config c = basic_config(std::move(n), host, prio, 10);
      c.vrid = vrid;
      c.virtual_addresses = {IpAddr::v4(10, 0, vrid, 100)};
      if (track_a && host == 1) c.tracks = {{track, TrackKind::interface, 0}};
      if (tweak_b && host == 2) tweak_b(c);
      return c;
    };
    a = lan.add_group("ga", {{cfg("a-up", 1, prio_a, 1), 1}, {cfg("a-down", 1, prio_a, 2), 2}});
    b = lan.add_group("gb", {{cfg("b-up", 2, prio_b, 1), 1}, {cfg("b-down", 2, prio_b, 2), 2}});
    if (tweak_b) lan.send_all(b, ev::HealthChanged{"grade", 0});
    lan.send_all(a, ev::Start{});
    lan.send_all(b, ev::Start{});
    lan.advance(seconds(2));
  }
};

TEST(VrrpSyncGroup, ElectsOneOrchestratorForAllSegments) {
  Pair p(200, 100);
  for (std::size_t i : {0u, 1u}) {
    EXPECT_EQ(p.lan.state(p.a, i), State::master);
    EXPECT_EQ(p.lan.state(p.b, i), State::backup);
  }
}

TEST(VrrpSyncGroup, AFailureOnlyOneSegmentSeesDoesNotSplitOrFlapTheGroup) {
  Pair p(200, 100);
  // a's uplink stops being heard (cable cut, not tracked). b-up's master-down runs out,
  // but b-down still hears a-down: b-up must not take over (that would pull b-down to
  // master against a live, higher-priority a-down and flap the group).
  p.lan.member(p.a, 0).link_up = false;
  p.lan.advance(seconds(10));
  for (std::size_t i : {0u, 1u}) {
    EXPECT_EQ(p.lan.state(p.b, i), State::backup) << i;
    EXPECT_EQ(p.lan.entered(p.b, i, State::master), TimePoint::max()) << i;
  }
  EXPECT_LE(*p.lan.instance(p.b, 0).master_down_deadline(), p.lan.now());
  // Now a dies altogether: when b-down runs out too, both of b's instances take over at
  // that instant.
  p.lan.member(p.a, 1).link_up = false;
  TimePoint last = p.lan.member(p.a, 1).sent.back().when;
  p.lan.advance(seconds(1));
  TimePoint t = last + mdi(milliseconds(100), 100);
  EXPECT_EQ(p.lan.entered(p.b, 1, State::master), t);
  EXPECT_EQ(p.lan.entered(p.b, 0, State::master), t);
}

TEST(VrrpSyncGroup, OneMemberSteppingDownTakesTheOthersWithIt) {
  Lan lan;
  Config up = basic_config("up", 1, 200, 10);
  Config down = basic_config("down", 1, 200, 10);
  down.vrid = 2;
  auto g = lan.add_group("g", {{up, 1}, {down, 2}});
  lan.send_all(g, ev::Start{});
  lan.advance(seconds(1));
  ASSERT_EQ(lan.state(g, 0), State::master);
  ASSERT_EQ(lan.state(g, 1), State::master);
  // A higher-priority router shows up on the downlink.
  Advert higher;
  higher.vrid = 2;
  higher.priority = 250;
  higher.interval_cs = 10;
  higher.addresses = {IpAddr::v4(10, 0, 0, 100)};
  TimePoint t = lan.now();
  lan.send(g, 1, ev::AdvertReceived{higher, IpAddr::v4(10, 0, 0, 9)});
  EXPECT_EQ(lan.entered(g, 1, State::backup), t);
  EXPECT_EQ(lan.entered(g, 0, State::backup), t);
  // The uplink member resigned its segment: priority 0, so the peer there follows at its
  // skew time; it keeps its addresses until that peer is heard.
  EXPECT_EQ(lan.member(g, 0).sent.back().advert.priority, 0);
  EXPECT_EQ(lan.member(g, 0).sent.back().when, t);
  EXPECT_TRUE(lan.instance(g, 0).holding_addresses());
  EXPECT_TRUE(lan.member(g, 1).addresses.empty());
}

TEST(VrrpSyncGroup, TheGroupPreemptsOnlyWhenEveryMemberMay) {
  // b's instances: priority 250 lowered to 100 by a health grade of 0 (weight 150).
  Pair p(200, 100, false, [](Config& c) {
    c.priority = 250;
    c.tracks = {{"grade", TrackKind::health, 150}};
  });
  for (std::size_t i : {0u, 1u}) {
    ASSERT_EQ(p.lan.state(p.a, i), State::master);
    ASSERT_EQ(p.lan.instance(p.b, i).priority(), 100);
  }
  // Only b-down recovers: it discards a-down's adverts and runs out, but b-up still hears
  // a live a-up it may not preempt, so b-down is held back.
  p.lan.send(p.b, 1, ev::HealthChanged{"grade", 100});
  p.lan.advance(seconds(5));
  EXPECT_EQ(p.lan.state(p.b, 0), State::backup);
  EXPECT_EQ(p.lan.state(p.b, 1), State::backup);
  EXPECT_EQ(p.lan.masters_on(1), 1u);
  EXPECT_EQ(p.lan.masters_on(2), 1u);
  // The grade is the orchestrator's: fed to the whole group, b preempts everywhere and a
  // steps down everywhere.
  p.lan.send_all(p.b, ev::HealthChanged{"grade", 100});
  p.lan.advance(seconds(1));
  for (std::size_t i : {0u, 1u}) {
    EXPECT_EQ(p.lan.state(p.b, i), State::master) << i;
    EXPECT_EQ(p.lan.state(p.a, i), State::backup) << i;
    EXPECT_TRUE(p.lan.member(p.a, i).addresses.empty()) << i;
  }
  EXPECT_EQ(p.lan.masters_on(1), 1u);
  EXPECT_EQ(p.lan.masters_on(2), 1u);
}

TEST(VrrpSyncGroup, TrackedLinkDownFaultsTheWholeGroupAndHandsOverEverywhere) {
  Pair p(200, 100, /*track_a=*/true);
  p.lan.advance(milliseconds(55));
  TimePoint t = p.lan.now();
  p.lan.member(p.a, 0).link_up = false;
  p.lan.send(p.a, 0, ev::InterfaceChanged{"a-up-if", false});
  EXPECT_EQ(p.lan.state(p.a, 0), State::fault);
  EXPECT_EQ(p.lan.state(p.a, 1), State::fault);  // held by the group
  EXPECT_TRUE(p.lan.member(p.a, 1).addresses.empty());
  // a-down's priority 0 reaches b-down: it takes over at its skew time, and b-up with it,
  // long before b-up's own master-down would have run out.
  p.lan.advance(milliseconds(100));
  TimePoint at_skew = t + skew(milliseconds(100), 100);
  EXPECT_EQ(p.lan.entered(p.b, 1, State::master), at_skew);
  EXPECT_EQ(p.lan.entered(p.b, 0, State::master), at_skew);
  // Recovery: both of a's instances come back as backups together, then preempt together.
  p.lan.member(p.a, 0).link_up = true;
  p.lan.send(p.a, 0, ev::InterfaceChanged{"a-up-if", true});
  EXPECT_EQ(p.lan.state(p.a, 0), State::backup);
  EXPECT_EQ(p.lan.state(p.a, 1), State::backup);
  p.lan.advance(seconds(2));
  for (std::size_t i : {0u, 1u}) {
    EXPECT_EQ(p.lan.state(p.a, i), State::master) << i;
    EXPECT_EQ(p.lan.state(p.b, i), State::backup) << i;
  }
  EXPECT_EQ(p.lan.masters_on(1), 1u);
  EXPECT_EQ(p.lan.masters_on(2), 1u);
}

TEST(VrrpSyncGroup, PlannedResignationOfTheGroup) {
  Pair p(200, 100);
  TimePoint t = p.lan.now();
  p.lan.send_all(p.a, ev::Resign{});
  p.lan.advance(milliseconds(100));
  TimePoint at_skew = t + skew(milliseconds(100), 100);
  for (std::size_t i : {0u, 1u}) {
    EXPECT_EQ(p.lan.entered(p.b, i, State::master), at_skew) << i;
    EXPECT_EQ(p.lan.state(p.a, i), State::backup) << i;
    EXPECT_TRUE(p.lan.member(p.a, i).addresses.empty()) << i;
  }
}

TEST(VrrpSyncGroup, AnOwnerPullsTheOthersToMasterAtStart) {
  Lan lan;
  Config up = basic_config("up", 1, 255);
  Config down = basic_config("down", 1, 100);
  down.vrid = 2;
  auto g = lan.add_group("g", {{up, 1}, {down, 2}});
  lan.send_all(g, ev::Start{});
  EXPECT_EQ(lan.state(g, 0), State::master);
  EXPECT_EQ(lan.state(g, 1), State::master);
}

// The group's state as one word (what the Service reports to batond's callbacks).
TEST(VrrpSyncGroup, GroupStateFollowsTheMembers) {
  Config up = basic_config("up", 1, 200, 10);
  Config down = basic_config("down", 1, 200, 10);
  down.vrid = 2;
  down.tracks = {{"eth1", TrackKind::interface, 0}};
  std::vector<Instance> members;
  members.push_back(*Instance::create(up));
  members.push_back(*Instance::create(down));
  auto g = SyncGroup::create("g", std::move(members));
  ASSERT_TRUE(g.ok());
  TimePoint t{};
  EXPECT_EQ(g->state(), GroupState::initialize);
  (void)g->handle_all(t, ev::Start{});
  EXPECT_EQ(g->state(), GroupState::backup);
  // One member's master-down timer runs out: the whole group is master.
  t += seconds(1);
  (void)g->handle(t, 0, ev::TimerFired{TimerKind::master_down});
  EXPECT_EQ(g->member(0).state(), State::master);
  EXPECT_EQ(g->member(1).state(), State::master);
  EXPECT_EQ(g->state(), GroupState::master);
  // One member's link goes down: fault, for the group as for that member.
  (void)g->handle(t, 1, ev::InterfaceChanged{"eth1", false});
  EXPECT_EQ(g->state(), GroupState::fault);
  (void)g->handle(t, 1, ev::InterfaceChanged{"eth1", true});
  EXPECT_EQ(g->state(), GroupState::backup);
  (void)g->handle_all(t, ev::Shutdown{});
  EXPECT_EQ(g->state(), GroupState::initialize);
  EXPECT_EQ(group_state_name(GroupState::fault), "fault");
}

TEST(VrrpSyncGroup, CreateRejectsEmptyAndDuplicateMembers) {
  auto empty = SyncGroup::create("g", {});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("no instances"), std::string::npos);
  std::vector<Instance> two;
  two.push_back(*Instance::create(basic_config("x", 1, 100)));
  two.push_back(*Instance::create(basic_config("x", 1, 100)));
  auto dup = SyncGroup::create("g", std::move(two));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("appears twice"), std::string::npos);
}

}  // namespace
}  // namespace baton::vrrp::test
