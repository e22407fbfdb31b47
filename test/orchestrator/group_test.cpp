// GroupCore driven by hand-made agent messages and a simulated clock.
#include "group_test_util.hpp"
#include "orchestrator/group.hpp"

#include <gtest/gtest.h>

namespace baton::orchestrator {
namespace {

using namespace testing;
using namespace std::chrono_literals;
using control::Admin;

GroupSettings settings() {
  GroupSettings s;
  s.members = {member("gw1", 1), member("gw2", 2), member("gw3", 3), member("gw4", 4)};
  s.spares = {member("gw5", 5)};
  s.buckets = 1009;
  s.orchestrator_id = 7;
  s.heartbeat_interval = 10ms;
  s.miss_count = 3;
  return s;
}

control::Register reg(const char* name, Admin admin = Admin::up, bool persistent = false) {
  control::Register r;
  r.name = name;
  r.interfaces = {{control::Side::external, "ext", {2, 0, 0, 0, 1, 1}},
                  {control::Side::internal, "int", {2, 0, 0, 0, 2, 1}}};
  r.admin.state = admin;
  r.admin.persistent = persistent;
  return r;
}

// Ticks the core as the shell does, every 2 ms, over the 20 ms before `to` and at `to`.
Effects tick_to(GroupCore& c, TimePoint to) {
  Effects all;
  for (TimePoint t = to - 20ms; t < to; t += 2ms) all.merge(c.tick(t));
  all.merge(c.tick(to));
  return all;
}

class GroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto g = GroupCore::create(settings(), now);
    ASSERT_TRUE(g) << g.error().message;
    core.emplace(std::move(*g));
    core->set_role(now, Role::active);
  }
  Effects register_all() {
    Effects all;
    for (std::uint32_t i = 1; i <= 5; ++i) {
      std::string name = "gw" + std::to_string(i);
      all.merge(core->on_register(now, from(100 + i), reg(name.c_str()), "10.1.0.1" + std::to_string(i)));
    }
    return all;
  }
  void heartbeat_all() {
    for (std::uint32_t i = 1; i <= 5; ++i) core->on_heartbeat(now, from(100 + i), control::Heartbeat{});
  }
  std::uint32_t buckets_of(dist::MemberId id) {
    auto c = core->table().counts();
    return id < c.size() ? c[id] : 0;
  }
  TimePoint now{std::chrono::seconds(1)};
  std::optional<GroupCore> core;
};

TEST_F(GroupTest, NothingIsDistributedBeforeAnAgentRegisters) {
  EXPECT_EQ(core->table().generation(), 0u);
  for (auto b : core->table().buckets()) EXPECT_EQ(b, dist::kNoMember);
  for (const auto& m : core->members())
    EXPECT_EQ(m.state, m.spare ? MemberState::unregistered : MemberState::unregistered);
}

TEST_F(GroupTest, RegistrationAcksSetsPortsAndBringsTheMemberIntoTheTable) {
  auto fx = core->on_register(now, from(101), reg("gw1"), "10.1.0.11:4000");
  ASSERT_EQ(fx.sends.size(), 1u);
  EXPECT_EQ(fx.sends[0].member, 1);
  auto* ack = std::get_if<control::RegisterAck>(&fx.sends[0].body);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->assigned_id, 1);
  EXPECT_EQ(ack->orchestrator_id, 7u);
  EXPECT_EQ(ack->heartbeat_us, 10'000u);
  ASSERT_EQ(fx.ports.size(), 2u);
  ASSERT_TRUE(fx.table);
  EXPECT_EQ(fx.table->generation(), 1u);
  EXPECT_EQ(buckets_of(1), 1009u);  // alone in the table
  EXPECT_EQ(core->find("gw1")->state, MemberState::active);
}

TEST_F(GroupTest, AllFourShareTheBucketsAndTheSpareTakesNone) {
  register_all();
  EXPECT_EQ(core->find("gw5")->state, MemberState::spare);
  EXPECT_EQ(buckets_of(5), 0u);
  for (dist::MemberId id = 1; id <= 4; ++id) {
    EXPECT_GE(buckets_of(id), 252u);
    EXPECT_LE(buckets_of(id), 253u);
  }
  // The spare is in the table's base, removed while it is in the pool.
  EXPECT_EQ(core->removed(), std::vector<dist::MemberId>{5});
}

TEST_F(GroupTest, UnknownNamesAndStolenNodeIdsAreRefused) {
  auto fx = core->on_register(now, from(101), reg("gw9"), "x");
  EXPECT_TRUE(fx.sends.empty());
  EXPECT_EQ(core->unknown_registrations(), 1u);
  core->on_register(now, from(101), reg("gw1"), "x");
  auto stolen = core->on_register(now, from(101), reg("gw2"), "y");
  EXPECT_TRUE(stolen.sends.empty());
  EXPECT_EQ(core->find("gw2")->state, MemberState::unregistered);
}

TEST_F(GroupTest, ThreeMissedHeartbeatsFailAMemberAndOnlyItsBucketsMove) {
  register_all();
  auto before = core->table();
  now += 25ms;
  heartbeat_all();
  now += 20ms;  // 20 ms since the last heartbeat: not yet
  for (std::uint32_t i = 1; i <= 5; ++i)
    if (i != 3) core->on_heartbeat(now, from(100 + i), control::Heartbeat{});
  EXPECT_FALSE(tick_to(*core, now).table);
  now += 11ms;  // 31 ms since gw3's last heartbeat
  auto fx = tick_to(*core, now);
  ASSERT_TRUE(fx.table);
  EXPECT_EQ(core->find("gw3")->state, MemberState::failed);
  EXPECT_EQ(fx.table->generation(), before.generation() + 1);
  for (std::uint32_t b = 0; b < before.size(); ++b) {
    if (before.owner(b) != 3) EXPECT_EQ(fx.table->owner(b), before.owner(b)) << "bucket " << b;
    else EXPECT_NE(fx.table->owner(b), 3);
  }
  EXPECT_EQ(core->removed(), (std::vector<dist::MemberId>{5, 3}));
  // It comes back: its buckets return, nobody else's move.
  now += 5ms;
  auto back = core->on_heartbeat(now, from(103), control::Heartbeat{});
  ASSERT_TRUE(back.table);
  EXPECT_TRUE(back.table->same_buckets(before));
  EXPECT_EQ(core->find("gw3")->state, MemberState::active);
}

TEST_F(GroupTest, ASilenceSharedBySeveralMembersIsJudgedLater) {
  register_all();
  auto before = core->table();
  now += 10ms;
  heartbeat_all();
  // gw2 and gw3 fall silent together: 31 ms later neither is judged yet...
  Effects fx;
  for (int i = 0; i < 16; ++i) {
    now += 2ms;
    if (i % 5 == 0)
      for (std::uint32_t n : {1u, 4u, 5u}) core->on_heartbeat(now, from(100 + n), control::Heartbeat{});
    fx.merge(core->tick(now));
  }
  EXPECT_FALSE(fx.table);
  EXPECT_EQ(core->find("gw2")->state, MemberState::active);
  bool said = false;
  for (const auto& l : fx.log) said |= l.find("2 members silent for more than 30 ms at once") != std::string::npos;
  EXPECT_TRUE(said);
  // ...but a silence that lasts 5 × 30 ms fails them both.
  for (int i = 0; i < 60; ++i) {
    now += 2ms;
    if (i % 5 == 0)
      for (std::uint32_t n : {1u, 4u, 5u}) core->on_heartbeat(now, from(100 + n), control::Heartbeat{});
    fx.merge(core->tick(now));
  }
  ASSERT_TRUE(fx.table);
  EXPECT_EQ(core->find("gw2")->state, MemberState::failed);
  EXPECT_EQ(core->find("gw3")->state, MemberState::failed);
}

TEST_F(GroupTest, OperatorDownSendsACommandUntilTheAgentConfirmsAndIsAudited) {
  register_all();
  AdminRequest req{"gw2", Admin::down, true, "alice", "maintenance", "uid 0 pid 1"};
  auto out = core->admin(now, req);
  ASSERT_TRUE(out) << out.error().message;
  auto& [outcome, fx] = *out;
  EXPECT_TRUE(outcome.changed);
  EXPECT_EQ(outcome.state, MemberState::down);
  ASSERT_TRUE(fx.table);
  EXPECT_EQ(buckets_of(2), 0u);
  ASSERT_EQ(fx.sends.size(), 1u);
  auto* cmd = std::get_if<control::Command>(&fx.sends[0].body);
  ASSERT_NE(cmd, nullptr);
  EXPECT_EQ(cmd->kind, control::CommandKind::admin_down);
  EXPECT_TRUE(cmd->persistent);
  EXPECT_EQ(cmd->who, "alice");
  ASSERT_EQ(fx.audit.size(), 1u);
  EXPECT_NE(fx.audit[0].find("who=alice"), std::string::npos);
  EXPECT_NE(fx.audit[0].find("reason=\"maintenance\""), std::string::npos);
  // Unanswered: sent again after the retry interval, with the same id.
  now += 5ms;
  heartbeat_all();
  EXPECT_TRUE(tick_to(*core, now).sends.empty());
  now += 100ms;
  heartbeat_all();
  auto retry = tick_to(*core, now);
  ASSERT_EQ(retry.sends.size(), 1u);
  EXPECT_EQ(std::get<control::Command>(retry.sends[0].body).command_id, cmd->command_id);
  // The agent reports down -p in its heartbeat: confirmed, no more retries, still down.
  control::Heartbeat hb;
  hb.admin = Admin::down;
  hb.admin_persistent = true;
  core->on_heartbeat(now, from(102), hb);
  EXPECT_FALSE(core->find("gw2")->requested.has_value());
  EXPECT_EQ(core->find("gw2")->admin.who, "alice");
  now += 200ms;
  heartbeat_all();
  core->on_heartbeat(now, from(102), hb);
  EXPECT_TRUE(tick_to(*core, now).sends.empty());
  EXPECT_EQ(core->find("gw2")->state, MemberState::down);
}

TEST_F(GroupTest, AdminDownOnTheMemberItselfTakesItOutAndUpBringsItBack) {
  register_all();
  auto before = core->table();
  control::Heartbeat hb;
  hb.admin = Admin::down;
  auto fx = core->on_heartbeat(now, from(104), hb);
  ASSERT_TRUE(fx.table);
  EXPECT_EQ(core->find("gw4")->state, MemberState::down);
  EXPECT_EQ(core->find("gw4")->admin.reason, "set on the member (clusterXL_admin)");
  hb.admin = Admin::up;
  auto up = core->on_heartbeat(now, from(104), hb);
  ASSERT_TRUE(up.table);
  EXPECT_TRUE(up.table->same_buckets(before));
}

TEST_F(GroupTest, APersistentDownSurvivesInTheAgentsRegistration) {
  // After an orchestrator restart the agent registers with its persisted state.
  auto fx = core->on_register(now, from(102), reg("gw2", Admin::down, true), "x");
  EXPECT_EQ(core->find("gw2")->state, MemberState::down);
  EXPECT_TRUE(core->find("gw2")->admin.persistent);
  EXPECT_EQ(buckets_of(2), 0u);
}

TEST_F(GroupTest, AdminRequestErrorsNameTheProblem) {
  register_all();
  auto unknown = core->admin(now, AdminRequest{"gw9", Admin::down, false, "a", "r", ""});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("\"gw9\" is not in the group"), std::string::npos);
  auto spare = core->admin(now, AdminRequest{"gw5", Admin::down, false, "a", "r", ""});
  ASSERT_FALSE(spare);
  EXPECT_NE(spare.error().message.find("spare"), std::string::npos);
  auto same = core->admin(now, AdminRequest{"gw1", Admin::up, false, "a", "r", ""});
  ASSERT_TRUE(same);
  EXPECT_FALSE(same->first.changed);
}

TEST_F(GroupTest, TheStandbyFollowsThePeersTablesAndContinuesFromThemOnTakeover) {
  auto g = GroupCore::create(settings(), now);
  ASSERT_TRUE(g);
  GroupCore& standby = *g;
  standby.set_peer_present(now, true);
  register_all();  // the active's view
  for (std::uint32_t i = 1; i <= 5; ++i) {
    std::string name = "gw" + std::to_string(i);
    auto fx = standby.on_register(now, from(100 + i), reg(name.c_str()), "x");
    EXPECT_FALSE(fx.table) << "a following standby computes no table of its own";
  }
  auto adopted = standby.adopt_peer_table(now, core->table());
  ASSERT_TRUE(adopted.table);
  EXPECT_EQ(standby.table().generation(), core->table().generation());
  // gw2 fails in both views; the active patches, the standby adopts.
  now += 50ms;
  for (std::uint32_t i : {1u, 3u, 4u, 5u}) {
    core->on_heartbeat(now, from(100 + i), control::Heartbeat{});
    standby.on_heartbeat(now, from(100 + i), control::Heartbeat{});
  }
  auto fx = tick_to(*core, now);
  ASSERT_TRUE(fx.table);
  EXPECT_FALSE(tick_to(standby, now).table);
  standby.adopt_peer_table(now, *fx.table);
  // The active dies; the standby takes over at the same generation: nothing moves.
  auto takeover = standby.set_role(now, Role::active);
  EXPECT_FALSE(takeover.table);
  EXPECT_TRUE(standby.table().same_buckets(core->table()));
  EXPECT_EQ(standby.table().generation(), core->table().generation());
}

TEST_F(GroupTest, ATableFromAPeerWithOtherMembersIsIgnored) {
  auto g = GroupCore::create(settings(), now);
  ASSERT_TRUE(g);
  auto other_settings = settings();
  other_settings.members[3].id = 9;
  auto other = GroupCore::create(other_settings, now);
  ASSERT_TRUE(other);
  other->set_role(now, Role::active);
  other->on_register(now, from(101), reg("gw1"), "x");
  g->set_peer_present(now, true);
  auto fx = g->adopt_peer_table(now, other->table());
  EXPECT_FALSE(fx.table);
  ASSERT_FALSE(fx.log.empty());
  EXPECT_NE(fx.log[0].find("its members differ from our configuration"), std::string::npos);
}

TEST_F(GroupTest, ThePeersWeightsAreTheActivesDecisionAndAreAdopted) {
  auto g = GroupCore::create(settings(), now);
  ASSERT_TRUE(g);
  auto other_settings = settings();
  other_settings.members[0].weight = 50;
  auto other = GroupCore::create(other_settings, now);
  ASSERT_TRUE(other);
  other->set_role(now, Role::active);
  other->on_register(now, from(101), reg("gw1"), "x");
  g->set_peer_present(now, true);
  auto fx = g->adopt_peer_table(now, other->table());
  ASSERT_TRUE(fx.table);
  EXPECT_TRUE(fx.table->same_buckets(other->table()));
  EXPECT_EQ(g->find("gw1")->weight, 50u);
  EXPECT_EQ(fx.log[0], "member gw1 (id 1): weight 100 -> 50, as the active peer decided");
}

TEST(GroupCreate, DuplicateIdsOrNamesAreRefused) {
  auto s = settings();
  s.spares[0].id = 1;
  auto g = GroupCore::create(s, TimePoint{});
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().message.find("member id 1 is configured twice"), std::string::npos);
}

}  // namespace
}  // namespace baton::orchestrator

namespace baton::orchestrator {
namespace {

TEST(GroupRestart, ATakeoverRightAfterStartKeepsTheMembersOfTheAdoptedTableUntilTheyRegister) {
  TimePoint t0{std::chrono::seconds(10)};
  auto active = GroupCore::create(settings(), t0);
  ASSERT_TRUE(active);
  active->set_role(t0, Role::active);
  for (std::uint32_t i = 1; i <= 4; ++i) {
    std::string name = "gw" + std::to_string(i);
    active->on_register(t0, from(100 + i), reg(name.c_str()), "x");
  }
  // A restarted orchestrator: adopts the active's table, then has to take over at once.
  auto restarted = GroupCore::create(settings(), t0);
  ASSERT_TRUE(restarted);
  restarted->set_peer_present(t0, true);
  restarted->adopt_peer_table(t0, active->table());
  restarted->set_peer_present(t0, false);
  auto fx = restarted->set_role(t0 + 10ms, Role::active);
  EXPECT_TRUE(restarted->table().same_buckets(active->table()))
      << "no agent registered yet, but the table must not empty";
  // Agents register: nothing moves.
  for (std::uint32_t i = 1; i <= 3; ++i) {
    std::string name = "gw" + std::to_string(i);
    restarted->on_register(t0 + 100ms, from(100 + i), reg(name.c_str()), "x");
  }
  EXPECT_TRUE(restarted->table().same_buckets(active->table()));
  // gw4 never shows up: out when the grace period ends.
  for (std::uint32_t i = 1; i <= 3; ++i)
    restarted->on_heartbeat(t0 + 4990ms, from(100 + i), control::Heartbeat{});
  EXPECT_TRUE(restarted->table().same_buckets(active->table()));
  auto after = tick_to(*restarted, t0 + 5s);
  ASSERT_TRUE(after.table);
  auto counts = after.table->counts();
  EXPECT_EQ(counts.size() > 4 ? counts[4] : 0u, 0u);
  EXPECT_EQ(restarted->removed(), (std::vector<dist::MemberId>{5, 4}));
}

TEST(GroupRestart, AFreshGroupDistributesOnlyToRegisteredMembers) {
  TimePoint t0{std::chrono::seconds(10)};
  auto g = GroupCore::create(settings(), t0);
  ASSERT_TRUE(g);
  g->set_role(t0, Role::active);
  auto fx = g->on_register(t0, from(101), reg("gw1"), "x");
  ASSERT_TRUE(fx.table);
  EXPECT_EQ(fx.table->counts()[1], fx.table->size());
}

}  // namespace
}  // namespace baton::orchestrator

namespace baton::orchestrator {
namespace {

TEST(GroupStall, ATickAfterOurOwnStallJudgesNobodyTheNextOneDoes) {
  TimePoint t0{std::chrono::seconds(10)};
  auto g = GroupCore::create(settings(), t0);
  ASSERT_TRUE(g);
  g->set_role(t0, Role::active);
  g->on_register(t0, from(101), reg("gw1"), "x");
  g->on_register(t0, from(102), reg("gw2"), "x");
  EXPECT_FALSE(g->tick(t0 + 2ms).table);
  // The loop was held up 60 ms (a blocking call): gw1's heartbeats are still unread.
  EXPECT_FALSE(g->tick(t0 + 62ms).table);
  EXPECT_EQ(g->find("gw1")->state, MemberState::active);
  // The loop reads them (gw1 only; gw2 really is silent), then ticks again.
  g->on_heartbeat(t0 + 62ms, from(101), control::Heartbeat{});
  auto fx = g->tick(t0 + 64ms);
  ASSERT_TRUE(fx.table);
  EXPECT_EQ(g->find("gw1")->state, MemberState::active);
  EXPECT_EQ(g->find("gw2")->state, MemberState::failed);
}

}  // namespace
}  // namespace baton::orchestrator
