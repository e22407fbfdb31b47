// Planned changes (docs/hypersync.md, "Planned changes"): with HyperSync agents, a change that
// is not a failure is prepared first — the owners of moving buckets hand their connections to
// the new owners and answer TABLE_PREPARED — and only then committed.
#include <set>

#include <gtest/gtest.h>

#include "group_test_util.hpp"
#include "orchestrator/group.hpp"

namespace baton::orchestrator {
namespace {

using namespace testing;
using namespace std::chrono_literals;
using control::Admin;

control::Register reg(std::string name, bool hypersync) {
  control::Register r;
  r.name = std::move(name);
  if (hypersync) {
    r.capabilities = control::kCapHyperSync;
    r.sync = {4, {10, 3, 0, 11}, 7702};
  }
  return r;
}

class PlannedChange : public ::testing::Test {
 protected:
  void start(bool hypersync) {
    GroupSettings s;
    s.members = {member("gw1", 1), member("gw2", 2), member("gw3", 3)};
    s.buckets = 1009;
    s.heartbeat_interval = 10ms;
    s.prepare_timeout = 2s;
    auto g = GroupCore::create(s, now);
    ASSERT_TRUE(g) << g.error().message;
    core.emplace(std::move(*g));
    core->set_role(now, Role::active);
    // Registered before any table exists: the first table is committed at once, and then
    // joins are prepared too; answer them so the group is complete.
    for (std::uint32_t i = 1; i <= 3; ++i) {
      auto fx = core->on_register(now, from(100 + i), reg("gw" + std::to_string(i), hypersync), "x");
      for (auto id : sent<control::TablePrepare>(fx))
        core->on_table_prepared(now, from(100 + id), {core->pending()->table.generation(), 0});
    }
    ASSERT_FALSE(core->pending());
    ASSERT_TRUE(core->removed().empty());
  }
  Effects heartbeats(Admin gw2 = Admin::up) {
    Effects all;
    for (std::uint32_t i = 1; i <= 3; ++i) {
      control::Heartbeat hb;
      if (i == 2) hb.admin = gw2;
      all.merge(core->on_heartbeat(now, from(100 + i), hb));
    }
    return all;
  }
  TimePoint now{std::chrono::seconds(1)};
  std::optional<GroupCore> core;
};

TEST_F(PlannedChange, AdminDownWaitsForTheLeavingMemberToHandOver) {
  start(true);
  const auto gen = core->table().generation();
  auto fx = heartbeats(Admin::down);  // clusterXL_admin down on gw2
  EXPECT_FALSE(fx.table) << "committed without preparing";
  ASSERT_TRUE(core->pending());
  EXPECT_EQ(core->pending()->table.generation(), gen + 1);
  // Only gw2's buckets move (the failure patch): only gw2 has connections to hand over.
  EXPECT_EQ(sent<control::TablePrepare>(fx), std::vector<dist::MemberId>{2});
  EXPECT_TRUE(logged(fx, "preparing; gw2 hand their moving connections over first")) << fx.log[0];
  EXPECT_EQ(core->table().generation(), gen);  // the old table stays live meanwhile

  // A stale answer (another generation) and an answer from a member not asked change nothing.
  EXPECT_FALSE(core->on_table_prepared(now, from(102), {gen, 5}).table);
  EXPECT_FALSE(core->on_table_prepared(now, from(101), {gen + 1, 5}).table);
  now += 3ms;
  fx = core->on_table_prepared(now, from(102), {gen + 1, 120});
  ASSERT_TRUE(fx.table);
  EXPECT_EQ(fx.table->generation(), gen + 1);
  EXPECT_FALSE(core->pending());
  EXPECT_EQ(core->removed(), std::vector<dist::MemberId>{2});
  EXPECT_TRUE(logged(fx, "prepared in 3.0 ms, 120 connections handed over"));
}

TEST_F(PlannedChange, AdminUpAsksTheCurrentOwnersOfTheReturningBuckets) {
  start(true);
  heartbeats(Admin::down);
  core->on_table_prepared(now, from(102), {core->pending()->table.generation(), 0});
  ASSERT_EQ(core->removed(), std::vector<dist::MemberId>{2});
  auto fx = heartbeats(Admin::up);
  ASSERT_TRUE(core->pending());
  // gw2's buckets come back from gw1 and gw3, who hold their connections now.
  EXPECT_EQ(sent<control::TablePrepare>(fx), (std::vector<dist::MemberId>{1, 3}));
  const auto gen = core->pending()->table.generation();
  EXPECT_FALSE(core->on_table_prepared(now, from(101), {gen, 10}).table);
  auto done = core->on_table_prepared(now, from(103), {gen, 11});
  ASSERT_TRUE(done.table);
  EXPECT_TRUE(core->removed().empty());
  EXPECT_TRUE(logged(done, "21 connections handed over"));
}

TEST_F(PlannedChange, UnansweredPrepareIsResentThenCommittedAtTheTimeout) {
  start(true);
  heartbeats(Admin::down);
  const auto started = now;
  // Tick as the shell does (every 2 ms), everyone alive, gw2 never answering.
  auto run_until = [&](TimePoint until) {
    Effects all;
    while (now < until) {
      now += 2ms;
      if ((now - started) % 10ms == 0ms) heartbeats(Admin::down);
      all.merge(core->tick(now));
    }
    return all;
  };
  auto early = run_until(started + 150ms);
  EXPECT_FALSE(early.table);
  // Sent again every command_retry (100 ms): a TABLE_PREPARE or its answer may be lost.
  EXPECT_EQ(sent<control::TablePrepare>(early), std::vector<dist::MemberId>{2});
  auto late = run_until(started + 2s);
  ASSERT_TRUE(late.table);
  EXPECT_FALSE(core->pending());
  EXPECT_EQ(core->removed(), std::vector<dist::MemberId>{2});
  EXPECT_TRUE(logged(late, "committed after the 2000 ms prepare timeout; no TABLE_PREPARED from gw2"));
}

TEST_F(PlannedChange, AFailureIsCommittedAtOnceAndSupersedesThePreparation) {
  start(true);
  heartbeats(Admin::down);
  ASSERT_TRUE(core->pending());
  const auto pending_gen = core->pending()->table.generation();
  // gw3 goes silent: three missed heartbeats later it has failed; that is not planned.
  Effects fx;
  for (int i = 0; i < 20; ++i) {
    now += 2ms;
    if (i % 5 == 0) {
      core->on_heartbeat(now, from(101), {});
      control::Heartbeat hb;
      hb.admin = Admin::down;
      core->on_heartbeat(now, from(102), hb);
    }
    fx.merge(core->tick(now));
  }
  ASSERT_TRUE(fx.table);
  EXPECT_FALSE(core->pending());
  EXPECT_GT(fx.table->generation(), pending_gen);  // never reuses the prepared number
  EXPECT_EQ(core->removed(), (std::vector<dist::MemberId>{2, 3}));
  EXPECT_TRUE(logged(fx, "superseded"));
}

TEST_F(PlannedChange, UndoingTheChangeDropsIt) {
  start(true);
  heartbeats(Admin::down);
  ASSERT_TRUE(core->pending());
  auto fx = heartbeats(Admin::up);
  EXPECT_FALSE(core->pending());
  EXPECT_FALSE(fx.table);
  EXPECT_TRUE(core->removed().empty());
  EXPECT_TRUE(logged(fx, "dropped"));
}

TEST_F(PlannedChange, WithoutHyperSyncAgentsChangesAreCommittedAtOnce) {
  start(false);
  auto fx = heartbeats(Admin::down);
  ASSERT_TRUE(fx.table);
  EXPECT_FALSE(core->pending());
  EXPECT_TRUE(sent<control::TablePrepare>(fx).empty());
}

TEST_F(PlannedChange, OnlyTheActivePreparesAndLosingTheRoleDropsThePreparation) {
  start(true);
  heartbeats(Admin::down);
  ASSERT_TRUE(core->pending());
  auto fx = core->set_role(now, Role::standby);
  EXPECT_FALSE(core->pending());
  EXPECT_TRUE(logged(fx, "no longer active"));
  // A standby with no peer computes its own tables, and commits them without asking anyone.
  EXPECT_TRUE(fx.table);
  EXPECT_TRUE(sent<control::TablePrepare>(fx).empty());
  fx = heartbeats(Admin::up);
  EXPECT_TRUE(fx.table);
  EXPECT_TRUE(sent<control::TablePrepare>(fx).empty());
}

TEST_F(PlannedChange, TheAdminOutcomeNamesThePendingGeneration) {
  start(true);
  AdminRequest req{"gw1", Admin::down, true, "alice", "maintenance", "uid 0"};
  auto out = core->admin(now, req);
  ASSERT_TRUE(out);
  ASSERT_TRUE(core->pending());
  EXPECT_EQ(out->first.generation, core->pending()->table.generation());
  EXPECT_EQ(sent<control::TablePrepare>(out->second), std::vector<dist::MemberId>{1});
}

WeightRequest weight(const char* name, std::uint32_t w) {
  return {name, w, "alice", "older hardware", "uid 0 pid 1"};
}

TEST_F(PlannedChange, AWeightChangeIsPreparedThenCommitted) {
  start(true);
  const auto before = core->table();
  auto out = core->set_weight(now, weight("gw2", 50));
  ASSERT_TRUE(out) << out.error().message;
  auto& [outcome, fx] = *out;
  EXPECT_TRUE(outcome.changed);
  EXPECT_EQ(outcome.generation, before.generation() + 1);
  EXPECT_FALSE(fx.table) << "committed without preparing";
  ASSERT_TRUE(core->pending());
  EXPECT_EQ(core->find("gw2")->weight, 50u);
  // gw2's share of 1009 buckets at 50 of 250.
  auto counts = core->pending()->table.counts();
  EXPECT_GE(counts[2], 201u);
  EXPECT_LE(counts[2], 202u);
  // Every owner that loses a bucket is asked to hand it over.
  std::set<dist::MemberId> losing;
  for (std::uint32_t b = 0; b < before.size(); ++b)
    if (core->pending()->table.owner(b) != before.owner(b)) losing.insert(before.owner(b));
  auto asked = sent<control::TablePrepare>(fx);
  EXPECT_EQ(std::set<dist::MemberId>(asked.begin(), asked.end()), losing);
  ASSERT_EQ(fx.audit.size(), 1u);
  EXPECT_NE(fx.audit[0].find("action=member-weight member=gw2 reason=\"older hardware\" "
                             "changed=true weight=100->50"),
            std::string::npos)
      << fx.audit[0];
  Effects done;
  for (auto id : asked)
    done.merge(core->on_table_prepared(now, from(100 + id), {before.generation() + 1, 0}));
  ASSERT_TRUE(done.table);
  EXPECT_EQ(core->table().counts()[2], counts[2]);
  // The same weight again: nothing to do.
  auto again = core->set_weight(now, weight("gw2", 50));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->first.changed);
  EXPECT_FALSE(core->pending());
}

TEST_F(PlannedChange, WeightErrorsNameTheProblem) {
  start(false);
  auto e = core->set_weight(now, weight("gw9", 5));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "member \"gw9\" is not in the group (members: gw1, gw2, gw3)");
  e = core->set_weight(now, weight("gw1", 513));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "weight 513 is out of range 0..512");
  ASSERT_TRUE(core->set_weight(now, weight("gw1", 0)));
  ASSERT_TRUE(core->set_weight(now, weight("gw2", 0)));
  e = core->set_weight(now, weight("gw3", 0));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "no other member in service has a weight above 0: gw3 would "
                               "leave nobody to take the buckets");
  EXPECT_EQ(core->table().counts()[3], 1009u);  // without HyperSync: committed at once
  core->set_role(now, Role::standby);
  e = core->set_weight(now, weight("gw1", 100));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "this orchestrator is the standby: run `member weight` on the active");
}

}  // namespace
}  // namespace baton::orchestrator
