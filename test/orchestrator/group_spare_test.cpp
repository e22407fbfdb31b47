// Spares (`batonctl member add|remove`): a spare is in the table's base, removed while it is in
// the pool; taking it into service and returning it are planned changes. And the standby's
// copy of those decisions (PEER_STATE): spares in service and the change being prepared, which
// a takeover continues.
#include <set>

#include <gtest/gtest.h>

#include "group_test_util.hpp"
#include "orchestrator/group.hpp"

namespace baton::orchestrator {
namespace {

using namespace testing;
using namespace std::chrono_literals;

GroupSettings settings() {
  GroupSettings s;
  s.members = {member("gw1", 1), member("gw2", 2), member("gw3", 3)};
  s.spares = {member("gw5", 5)};
  s.buckets = 1009;
  s.heartbeat_interval = 10ms;
  return s;
}

control::Register reg(std::string name) {
  control::Register r;
  r.name = std::move(name);
  r.capabilities = control::kCapHyperSync;
  r.sync = {4, {10, 3, 0, 11}, 7702};
  return r;
}

PoolRequest request(bool add, std::string name = "gw5") {
  return {std::move(name), add ? PoolAction::add : PoolAction::remove, "alice", "evening peak",
          "uid 0 pid 1"};
}

// Registers every member and the spare, answering the preparations of the joins.
GroupCore started(TimePoint now, Role role) {
  auto g = GroupCore::create(settings(), now);
  if (!g) panic("GroupCore::create failed");
  g->set_role(now, role);
  for (std::uint32_t i : {1u, 2u, 3u, 5u}) {
    auto fx = g->on_register(now, from(100 + i), reg("gw" + std::to_string(i)), "x");
    for (auto id : sent<control::TablePrepare>(fx))
      g->on_table_prepared(now, from(100 + id), {g->pending()->table.generation(), 0});
  }
  return std::move(*g);
}

TEST(GroupSpare, TakingASpareIntoServiceIsPreparedAndMovesBucketsOnlyToIt) {
  TimePoint now{1s};
  auto core = started(now, Role::active);
  ASSERT_EQ(core.find("gw5")->state, MemberState::spare);
  ASSERT_EQ(core.removed(), std::vector<dist::MemberId>{5});
  auto before = core.table();
  auto out = core.pool(now, request(true));
  ASSERT_TRUE(out) << out.error().message;
  auto& [outcome, fx] = *out;
  EXPECT_TRUE(outcome.changed);
  EXPECT_EQ(outcome.state, MemberState::active);
  EXPECT_EQ(outcome.generation, before.generation() + 1);  // the generation being prepared
  EXPECT_FALSE(fx.table) << "committed without preparing";
  ASSERT_TRUE(core.pending());
  // Every bucket that moves goes to gw5, and its current owner is asked to hand it over.
  std::set<dist::MemberId> losing;
  const auto& next = core.pending()->table;
  std::uint32_t to_spare = 0;
  for (std::uint32_t b = 0; b < before.size(); ++b) {
    if (next.owner(b) == before.owner(b)) continue;
    EXPECT_EQ(next.owner(b), 5) << "bucket " << b << " moves to another member";
    losing.insert(before.owner(b));
    ++to_spare;
  }
  EXPECT_GE(to_spare, 252u);  // its share of 1009 among four
  EXPECT_LE(to_spare, 253u);
  auto asked = sent<control::TablePrepare>(fx);
  EXPECT_EQ(std::set<dist::MemberId>(asked.begin(), asked.end()), losing);
  ASSERT_EQ(fx.audit.size(), 1u);
  EXPECT_NE(fx.audit[0].find("who=alice caller=\"uid 0 pid 1\" action=spare-add member=gw5 "
                             "reason=\"evening peak\" changed=true state=active"),
            std::string::npos)
      << fx.audit[0];
  // The owners answer: committed.
  Effects done;
  for (auto id : asked)
    done.merge(core.on_table_prepared(now + 2ms, from(100 + id), {next.generation(), 10}));
  ASSERT_TRUE(done.table);
  EXPECT_TRUE(core.removed().empty());
  EXPECT_EQ(core.table().counts()[5], to_spare);
  // Asking again changes nothing.
  auto again = core.pool(now, request(true));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->first.changed);
  EXPECT_FALSE(core.pending());
}

TEST(GroupSpare, ReturningItToThePoolAsksItToHandItsBucketsBack) {
  TimePoint now{1s};
  auto core = started(now, Role::active);
  auto original = core.table();
  auto add = core.pool(now, request(true));
  ASSERT_TRUE(add);
  for (auto id : add->second.sends)
    core.on_table_prepared(now, from(100 + id.member), {core.pending()->table.generation(), 0});
  ASSERT_FALSE(core.pending());
  auto rm = core.pool(now, request(false));
  ASSERT_TRUE(rm) << rm.error().message;
  EXPECT_EQ(rm->first.state, MemberState::spare);
  EXPECT_EQ(sent<control::TablePrepare>(rm->second), std::vector<dist::MemberId>{5});
  auto fx = core.on_table_prepared(now, from(105), {core.pending()->table.generation(), 7});
  ASSERT_TRUE(fx.table);
  EXPECT_EQ(core.removed(), std::vector<dist::MemberId>{5});
  // Only gw5's buckets moved, and each went back to the member it came from.
  EXPECT_TRUE(core.table().same_buckets(original));
}

TEST(GroupSpare, ErrorsNameTheProblem) {
  TimePoint now{1s};
  auto core = started(now, Role::active);
  auto e = core.pool(now, request(true, "gw9"));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "member \"gw9\" is not in the group (spares: gw5)");
  e = core.pool(now, request(true, "gw2"));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "member \"gw2\" is a configured member, not a spare (spares: gw5); "
                               "take it out of service with `member down`");
  // A spare whose agent went silent cannot be taken into service.
  for (auto t = now; t <= now + 40ms; t += 2ms) {
    for (std::uint32_t i : {1u, 2u, 3u}) core.on_heartbeat(t, from(100 + i), control::Heartbeat{});
    core.tick(t);
  }
  ASSERT_EQ(core.find("gw5")->state, MemberState::failed);
  e = core.pool(now + 40ms, request(true));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("spare \"gw5\" is failed (no heartbeat for"), std::string::npos)
      << e.error().message;
  // The standby refuses: the active decides.
  auto standby = started(now, Role::standby);
  e = standby.pool(now, request(true));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "this orchestrator is the standby: run `member add` on the active");
  // A spare never registered.
  auto fresh = GroupCore::create(settings(), now);
  fresh->set_role(now, Role::active);
  e = fresh->pool(now, request(true));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message,
            "spare \"gw5\" has not registered: its agent is not running or cannot reach us");
}

TEST(GroupSpare, TheStandbyHoldsTheSparesInServiceAndThePendingChangeAndContinuesIt) {
  TimePoint now{1s};
  auto active = started(now, Role::active);
  auto standby = started(now, Role::standby);
  standby.set_peer_present(now, true);
  standby.adopt_peer_table(now, active.table());
  EXPECT_FALSE(standby.peer_state().preparing);

  auto add = active.pool(now, request(true));
  ASSERT_TRUE(add);
  auto state = active.peer_state();
  EXPECT_EQ(state.in_service, std::vector<dist::MemberId>{5});
  ASSERT_TRUE(state.preparing);
  EXPECT_EQ(state.pending.generation(), active.pending()->table.generation());
  EXPECT_NE(state.why.find("gw5 taken into service from the spare pool by alice"), std::string::npos);

  auto fx = standby.adopt_peer_state(now, state);
  EXPECT_FALSE(standby.find("gw5")->spare);
  EXPECT_EQ(standby.find("gw5")->state, MemberState::active);
  ASSERT_TRUE(standby.peer_pending());
  EXPECT_EQ(standby.peer_pending()->table.generation(), state.pending.generation());
  EXPECT_FALSE(standby.pending()) << "the standby prepares nothing itself";
  EXPECT_TRUE(logged(fx, "the active peer prepares generation"));
  // The same state again is no news.
  EXPECT_TRUE(standby.adopt_peer_state(now, state).log.empty());

  // The active dies before committing: the standby continues that same change.
  standby.set_peer_present(now + 5ms, false);
  auto takeover = standby.set_role(now + 5ms, Role::active);
  EXPECT_TRUE(logged(takeover, "continuing the peer's planned change to generation")) << takeover.log[0];
  ASSERT_TRUE(standby.pending());
  EXPECT_EQ(standby.pending()->table.generation(), state.pending.generation());
  EXPECT_FALSE(takeover.table);
  auto asked = sent<control::TablePrepare>(takeover);
  EXPECT_FALSE(asked.empty());
  Effects done;
  for (auto id : asked)
    done.merge(standby.on_table_prepared(now + 8ms, from(100 + id),
                                         {state.pending.generation(), 0}));
  ASSERT_TRUE(done.table);
  EXPECT_EQ(done.table->generation(), state.pending.generation());
  EXPECT_TRUE(done.table->same_buckets(state.pending));
  EXPECT_TRUE(standby.removed().empty());
}

TEST(GroupSpare, ACommittedTableClearsThePeersPendingChange) {
  TimePoint now{1s};
  auto active = started(now, Role::active);
  auto standby = started(now, Role::standby);
  standby.set_peer_present(now, true);
  auto add = active.pool(now, request(true));
  ASSERT_TRUE(add);
  standby.adopt_peer_state(now, active.peer_state());
  ASSERT_TRUE(standby.peer_pending());
  for (auto id : sent<control::TablePrepare>(add->second))
    active.on_table_prepared(now, from(100 + id), {active.pending()->table.generation(), 0});
  standby.adopt_peer_table(now, active.table());
  EXPECT_FALSE(standby.peer_pending());
  standby.adopt_peer_state(now, active.peer_state());
  EXPECT_FALSE(standby.peer_pending());
  // Returned to the pool by the active: the standby follows.
  ASSERT_TRUE(active.pool(now, request(false)));
  standby.adopt_peer_state(now, active.peer_state());
  EXPECT_TRUE(standby.find("gw5")->spare);
  EXPECT_EQ(standby.find("gw5")->state, MemberState::spare);
}

TEST(GroupSpare, ATakeoverContinuesThePeersWeightChangeWithItsWeights) {
  TimePoint now{1s};
  auto active = started(now, Role::active);
  auto standby = started(now, Role::standby);
  standby.set_peer_present(now, true);
  standby.adopt_peer_table(now, active.table());
  auto w = active.set_weight(now, {"gw1", 200, "alice", "bigger box", "uid 0 pid 1"});
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(active.pending());
  auto state = active.peer_state();
  standby.adopt_peer_state(now, state);
  ASSERT_TRUE(standby.peer_pending());
  standby.set_peer_present(now + 5ms, false);  // not committed on its own meanwhile
  EXPECT_FALSE(standby.pending());
  EXPECT_EQ(standby.table().generation(), active.table().generation());
  auto takeover = standby.set_role(now + 5ms, Role::active);
  ASSERT_TRUE(standby.pending());
  EXPECT_EQ(standby.find("gw1")->weight, 200u);
  EXPECT_TRUE(standby.pending()->table.same_buckets(state.pending));
  EXPECT_FALSE(sent<control::TablePrepare>(takeover).empty());
}

}  // namespace
}  // namespace baton::orchestrator
