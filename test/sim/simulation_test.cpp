// Events on the real table: movement, collateral and the successor rule, checked against an
// independent per-flow recount.
#include "sim/simulation.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "sim/population.hpp"

namespace baton::sim {
namespace {

Group group(std::uint32_t n, std::uint32_t weight = 1) { return *Group::create(n, weight, {}); }

Event ev(EventKind k, dist::MemberId id, std::uint32_t w = 1) {
  return {k, id, w, fmt::format("test {}", id)};
}

Simulation start(std::uint32_t members, const PopulationSpec& spec) {
  auto sim = Simulation::start(group(members), generate(spec).per_bucket);
  if (!sim) ADD_FAILURE() << sim.error().message;
  return std::move(*sim);
}

// Binomial sampling noise of a fraction p over n flows.
double sigma(double p, double n) { return std::sqrt(p * (1 - p) / n); }

TEST(SimulatorEvents, SingleFailureOf64MovesOne64thWithNoCollateral) {
  PopulationSpec spec;  // 1M flows, 65537 buckets
  Simulation sim = start(64, spec);
  auto owned = sim.table().counts()[1];
  auto r = sim.apply(ev(EventKind::fail, 1));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->buckets.moved, owned);
  EXPECT_NEAR(static_cast<double>(r->flows.moved) / 1e6, 1.0 / 64, 5 * sigma(1.0 / 64, 1e6));
  EXPECT_EQ(r->flows.collateral, 0u);
  EXPECT_EQ(r->buckets.collateral, 0u);
  EXPECT_EQ(r->flows.covered, r->flows.moved);
  EXPECT_EQ(r->flows.uncovered, 0u);
  EXPECT_FALSE(r->planned);
  EXPECT_EQ(r->table_change, "failure patch");
  EXPECT_EQ(r->generation, 2u);
  EXPECT_EQ(r->share.live_members, 63u);
  EXPECT_EQ(r->min_moved_buckets, owned);
}

TEST(SimulatorEvents, FailuresInARowKeepCollateralZeroAndStateCovered) {
  PopulationSpec spec;
  spec.flows = 300'000;
  spec.buckets = 32749;
  Simulation sim = start(40, spec);
  for (int n : {7, 1, 40, 22, 3, 9, 31, 18, 2, 25}) {
    auto id = static_cast<dist::MemberId>(n);
    auto before = sim.table().counts();
    auto r = sim.apply(ev(EventKind::fail, id));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->buckets.moved, before[id]) << id;
    EXPECT_EQ(r->flows.collateral, 0u) << id;
    EXPECT_EQ(r->flows.uncovered, 0u) << id;
    EXPECT_EQ(r->buckets.uncovered, 0u) << id;
    EXPECT_GT(r->flows.moved, 0u);
  }
  EXPECT_EQ(sim.group().members().size(), 30u);
  EXPECT_EQ(sim.table().failed().size(), 10u);
}

TEST(SimulatorEvents, AdminDownIsAPlannedPatch) {
  PopulationSpec spec;
  spec.flows = 100'000;
  Simulation sim = start(8, spec);
  auto r = sim.apply(ev(EventKind::admin_down, 4));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->planned);
  EXPECT_EQ(r->table_change, "failure patch");
  EXPECT_EQ(r->flows.collateral, 0u);
  EXPECT_EQ(r->flows.uncovered, 0u);  // nothing to pre-sync beyond replication lag
  EXPECT_FALSE(sim.table().is_live(4));
}

TEST(SimulatorEvents, AddRebuildsAndTheNewMemberHoldsNoReplicas) {
  PopulationSpec spec;
  spec.flows = 200'000;
  Simulation sim = start(16, spec);
  ASSERT_TRUE(sim.apply(ev(EventKind::fail, 5)));  // the add then rebuilds over a patched table
  auto r = sim.apply(ev(EventKind::add, 17, 1));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->planned);
  EXPECT_EQ(r->table_change, "rebuild");
  EXPECT_GT(r->flows.moved, 0u);
  EXPECT_EQ(r->flows.covered + r->flows.uncovered, r->flows.moved);
  EXPECT_EQ(r->buckets.covered + r->buckets.uncovered, r->buckets.moved);
  EXPECT_LE(r->flows.collateral, r->flows.moved);
  std::uint64_t on_new = 0;
  for (const auto& m : r->share.members)
    if (m.id == 17) on_new = m.flows;
  EXPECT_GT(on_new, 0u);
  // Everything the new member now owns moved to it, and no successor pointed at it.
  EXPECT_GE(r->flows.uncovered, on_new);
  EXPECT_GE(r->buckets.moved, r->min_moved_buckets);
  EXPECT_EQ(r->share.live_members, 16u);
  // The rebuild replays the failure: member 5 stays failed in the new table's inputs.
  EXPECT_EQ(sim.table().failed(), std::vector<dist::MemberId>{5});
}

TEST(SimulatorEvents, WeightChangeMovesFlowsTowardTheHeavierMember) {
  PopulationSpec spec;
  spec.flows = 200'000;
  Simulation sim = start(8, spec);
  auto r = sim.apply(ev(EventKind::weight, 2, 3));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->planned);
  EXPECT_GT(r->flows.moved, 0u);
  EXPECT_EQ(r->flows.covered + r->flows.uncovered, r->flows.moved);
  auto counts = sim.table().counts();
  EXPECT_NEAR(counts[2], 3.0 * 65537 / 10, 1.0);  // weights 3 + 7×1
  EXPECT_NEAR(r->share.weighted_max_min_ratio, 1.0, 0.05);
  EXPECT_GT(r->share.max_min_ratio, 2.5);
}

TEST(SimulatorEvents, RefusedEventChangesNothing) {
  PopulationSpec spec;
  spec.flows = 10'000;
  Simulation sim = start(2, spec);
  auto gen = sim.table().generation();
  auto unknown = sim.apply(ev(EventKind::fail, 9));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "test 9: member 9 is not in the group");
  ASSERT_TRUE(sim.apply(ev(EventKind::fail, 1)));
  auto last = sim.apply(ev(EventKind::fail, 2));
  ASSERT_FALSE(last);
  EXPECT_NE(last.error().message.find("last member"), std::string::npos);
  EXPECT_EQ(sim.table().generation(), gen + 1);
  EXPECT_TRUE(sim.table().is_live(2));
}

// The per-bucket shortcut against a per-flow recount done without the simulator: hash every
// flow, look up old owner, new owner and successor in tables built here.
TEST(SimulatorEvents, PerBucketCountsMatchAPerFlowRecount) {
  PopulationSpec spec;
  spec.flows = 50'000;
  spec.buckets = 1021;
  std::vector<dist::MemberSpec> specs;
  for (dist::MemberId i = 1; i <= 6; ++i) specs.push_back({i, i});
  auto g = Group::create(6, 1, std::vector<WeightOverride>{{2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}});
  ASSERT_TRUE(g) << g.error().message;
  auto sim = Simulation::start(*g, generate(spec).per_bucket);
  ASSERT_TRUE(sim) << sim.error().message;

  auto t0 = *dist::Table::build(specs, spec.buckets, 1);
  auto t1 = *t0.without(4);
  specs.push_back({7, 5});
  // A planned rebuild replays the failures on the new base (docs/simulator.md).
  auto t2 = *dist::Table::replay(specs, std::vector<dist::MemberId>{4}, spec.buckets, 3);

  struct Want {
    std::uint64_t moved = 0, collateral = 0, covered = 0;
  };
  auto recount = [&](const dist::Table& a, const dist::Table& b, dist::MemberId subject) {
    Want w;
    auto succ = a.successors();
    std::uint64_t state = spec.seed;
    for (std::uint64_t i = 0; i < spec.flows; ++i) {
      auto bucket = dist::bucket_of(dist::flow_hash(random_flow(state, spec.ipv6_percent), spec.mode),
                                    spec.buckets);
      auto from = a.owner(bucket), to = b.owner(bucket);
      if (from == to) continue;
      w.moved++;
      w.collateral += from != subject && to != subject;
      w.covered += to == succ[bucket];
    }
    return w;
  };
  auto r1 = sim->apply(ev(EventKind::fail, 4));
  ASSERT_TRUE(r1);
  auto w1 = recount(t0, t1, 4);
  EXPECT_EQ(r1->flows.moved, w1.moved);
  EXPECT_EQ(r1->flows.collateral, w1.collateral);
  EXPECT_EQ(r1->flows.covered, w1.covered);
  auto r2 = sim->apply(ev(EventKind::add, 7, 5));
  ASSERT_TRUE(r2);
  auto w2 = recount(t1, t2, 7);
  EXPECT_EQ(r2->flows.moved, w2.moved);
  EXPECT_EQ(r2->flows.collateral, w2.collateral);
  EXPECT_EQ(r2->flows.covered, w2.covered);
  EXPECT_GT(w2.collateral, 0u);  // a rebuild reshuffles some buckets between old members
}

}  // namespace
}  // namespace baton::sim
