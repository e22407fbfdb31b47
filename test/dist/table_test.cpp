// Property tests for the distribution table: DESIGN §2 invariants 1-4.
#include "dist/table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

namespace baton::dist {
namespace {

std::vector<MemberSpec> members(int n, std::uint32_t weight = 1, MemberId first = 1) {
  std::vector<MemberSpec> out;
  for (int i = 0; i < n; ++i) out.push_back({static_cast<MemberId>(first + i), weight});
  return out;
}

std::vector<MemberSpec> random_members(std::mt19937& rng, int n, bool allow_zero) {
  std::vector<MemberSpec> out;
  std::uniform_int_distribution<std::uint32_t> w(allow_zero ? 0 : 1, kMaxWeight);
  std::vector<MemberId> ids(2000);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<MemberId>(i * 7 + 3);
  std::shuffle(ids.begin(), ids.end(), rng);
  for (int i = 0; i < n; ++i) out.push_back({ids[static_cast<std::size_t>(i)], w(rng)});
  return out;
}

// Exact share of `total` for weight w out of sum, as a double.
double exact_share(std::uint64_t total, std::uint32_t w, std::uint64_t sum) {
  return static_cast<double>(total) * w / static_cast<double>(sum);
}

void expect_weighted(const Table& t, std::span<const MemberSpec> ms) {
  auto c = t.counts();
  std::uint64_t sum = 0;
  for (auto& m : ms) sum += m.weight;
  std::uint64_t assigned = 0;
  for (auto& m : ms) {
    double want = exact_share(t.size(), m.weight, sum);
    std::uint32_t got = m.id < c.size() ? c[m.id] : 0;
    EXPECT_LT(std::abs(got - want), 1.0) << "member " << m.id << " weight " << m.weight;
    assigned += got;
  }
  EXPECT_EQ(assigned, sum ? t.size() : 0u);
}

TEST(Apportion, SharesWithinOneAndSumExactly) {
  std::mt19937 rng(1);
  for (int round = 0; round < 200; ++round) {
    std::uniform_int_distribution<std::uint32_t> w(0, 512), total(0, 100000);
    std::vector<std::uint32_t> ws(1 + rng() % 50), ties(ws.size(), 0);
    for (auto& x : ws) x = w(rng);
    std::uint32_t t = total(rng);
    auto s = apportion(t, ws, ties);
    std::uint64_t sum = 0, wsum = 0;
    for (auto x : ws) wsum += x;
    for (std::size_t i = 0; i < ws.size(); ++i) {
      sum += s[i];
      if (wsum) {
        EXPECT_LT(std::abs(s[i] - exact_share(t, ws[i], wsum)), 1.0);
      }
      if (ws[i] == 0) {
        EXPECT_EQ(s[i], 0u);
      }
    }
    EXPECT_EQ(sum, wsum ? t : 0u);
  }
}

TEST(Table, RejectsBadInputWithClearErrors) {
  auto ms = members(3);
  auto r = Table::build(ms, 65536);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("65536"), std::string::npos);
  EXPECT_NE(r.error().message.find("prime"), std::string::npos);

  ms.push_back({2, 1});
  r = Table::build(ms);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("member id 2 is listed twice"), std::string::npos);

  std::vector<MemberSpec> heavy{{5, 513}};
  r = Table::build(heavy);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("weight 513"), std::string::npos);

  std::vector<MemberSpec> reserved{{kNoMember, 1}};
  EXPECT_FALSE(Table::build(reserved).ok());

  auto t = Table::build(members(4));
  ASSERT_TRUE(t.ok());
  auto w = t->without(77);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("77"), std::string::npos);
}

TEST(Table, EqualWeightsBalanceWithinOneBucket) {
  for (int n : {1, 2, 3, 8, 64, 100, 1000}) {
    auto ms = members(n);
    auto t = Table::build(ms);
    ASSERT_TRUE(t.ok());
    expect_weighted(*t, ms);
    EXPECT_EQ(std::count(t->buckets().begin(), t->buckets().end(), kNoMember), 0);
  }
}

TEST(Table, RandomWeightsBalanceWithinOneBucket) {
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    auto ms = random_members(rng, 1 + static_cast<int>(rng() % 80), true);
    std::uint32_t buckets = round % 2 ? 65537 : 4099;
    auto t = Table::build(ms, buckets);
    ASSERT_TRUE(t.ok());
    expect_weighted(*t, ms);
  }
}

TEST(Table, ZeroWeightMemberTakesNoBucketsAndAllZeroLeavesTableEmpty) {
  std::vector<MemberSpec> ms{{1, 0}, {2, 10}, {3, 0}};
  auto t = Table::build(ms);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->counts()[2], t->size());
  std::vector<MemberSpec> none{{1, 0}, {2, 0}};
  auto e = Table::build(none);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(std::count(e->buckets().begin(), e->buckets().end(), kNoMember), e->size());
}

TEST(Table, InputOrderNeverChangesTheResult) {
  std::mt19937 rng(7);
  for (int round = 0; round < 10; ++round) {
    auto ms = random_members(rng, 40, true);
    auto a = Table::build(ms, 65537, 5);
    std::shuffle(ms.begin(), ms.end(), rng);
    auto b = Table::build(ms, 65537, 5);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(a->same_buckets(*b));
    EXPECT_EQ(a->base_members(), b->base_members());
  }
}

TEST(Table, AddingAMemberMovesAboutItsShare) {
  // Maglev's minimal disruption: rebuilding with one more member moves roughly 1/(N+1) of
  // the buckets (a little more from Maglev's probing), never a large fraction.
  auto before = Table::build(members(16));
  auto after = Table::build(members(17));
  ASSERT_TRUE(before.ok() && after.ok());
  std::uint32_t moved = 0;
  for (std::uint32_t b = 0; b < before->size(); ++b)
    if (before->owner(b) != after->owner(b)) ++moved;
  double frac = static_cast<double>(moved) / before->size();
  EXPECT_GT(frac, 1.0 / 17 * 0.99);
  EXPECT_LT(frac, 1.0 / 17 * 1.6);
}

TEST(FailurePatch, MovesOnlyTheFailedMembersBucketsSpreadByWeight) {
  std::mt19937 rng(11);
  for (int round = 0; round < 20; ++round) {
    auto ms = random_members(rng, 2 + static_cast<int>(rng() % 60), round % 3 == 0);
    auto t = Table::build(ms, 65537, 10);
    ASSERT_TRUE(t.ok());
    MemberSpec victim = ms[rng() % ms.size()];
    auto p = t->without(victim.id);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->generation(), 11u);
    EXPECT_FALSE(p->is_live(victim.id));
    // Zero collateral: a bucket not owned by the victim keeps its owner.
    std::map<MemberId, std::uint32_t> gained;
    std::uint32_t victim_buckets = 0;
    for (std::uint32_t b = 0; b < t->size(); ++b) {
      if (t->owner(b) != victim.id) {
        ASSERT_EQ(p->owner(b), t->owner(b)) << "collateral move of bucket " << b;
      } else {
        ++victim_buckets;
        ASSERT_NE(p->owner(b), victim.id);
        gained[p->owner(b)]++;
      }
    }
    // The victim's buckets are shared by the survivors in proportion to weight, within ±1.
    std::uint64_t wsum = 0;
    for (auto& m : ms)
      if (m.id != victim.id) wsum += m.weight;
    for (auto& m : ms) {
      if (m.id == victim.id) continue;
      if (wsum == 0) continue;
      double want = exact_share(victim_buckets, m.weight, wsum);
      EXPECT_LT(std::abs(gained[m.id] - want), 1.0) << "survivor " << m.id;
    }
    if (wsum == 0) {
      EXPECT_EQ(gained[kNoMember], victim_buckets);
    }
  }
}

TEST(FailurePatch, SuccessorsAgreeExactlyWithThePatchForEveryMember) {
  std::mt19937 rng(5);
  auto ms = random_members(rng, 24, false);
  auto t = Table::build(ms, 8191);
  ASSERT_TRUE(t.ok());
  auto succ = t->successors();
  for (auto& m : ms) {
    auto p = t->without(m.id);
    ASSERT_TRUE(p.ok());
    for (std::uint32_t b = 0; b < t->size(); ++b) {
      if (t->owner(b) == m.id) {
        ASSERT_EQ(p->owner(b), succ[b]) << "bucket " << b;
      }
    }
  }
  // A successor is never the owner itself.
  for (std::uint32_t b = 0; b < t->size(); ++b) EXPECT_NE(succ[b], t->owner(b));
}

TEST(FailurePatch, SeveralFailuresInARowKeepZeroCollateralAndAgreeWithSuccessors) {
  auto t = Table::build(members(10), 65537);
  ASSERT_TRUE(t.ok());
  Table cur = *t;
  for (MemberId victim : std::vector<MemberId>{3, 7, 1, 10}) {
    auto succ = cur.successors();
    auto next = cur.without(victim);
    ASSERT_TRUE(next.ok());
    for (std::uint32_t b = 0; b < cur.size(); ++b) {
      if (cur.owner(b) == victim) {
        ASSERT_EQ(next->owner(b), succ[b]);
      } else {
        ASSERT_EQ(next->owner(b), cur.owner(b));
      }
    }
    cur = *next;
  }
  EXPECT_EQ(cur.live_members().size(), 6u);
  EXPECT_EQ(cur.failed(), (std::vector<MemberId>{3, 7, 1, 10}));
}

TEST(FailurePatch, LastMemberFailingLeavesNoOwner) {
  auto t = Table::build(members(1), 101);
  ASSERT_TRUE(t.ok());
  auto p = t->without(1);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(std::count(p->buckets().begin(), p->buckets().end(), kNoMember), 101);
  EXPECT_EQ(t->successors(), std::vector<MemberId>(101, kNoMember));
}

TEST(Table, BothOrchestratorsComputeBitIdenticalTables) {
  // Two independent computations from the same inputs (as the two orchestrators do), the
  // second via replay of the failure history: identical buckets.
  std::mt19937 rng(99);
  auto ms = random_members(rng, 50, true);
  auto a = Table::build(ms, 65537, 1);
  ASSERT_TRUE(a.ok());
  Table cur = *a;
  std::vector<MemberId> failed;
  for (int k = 0; k < 5; ++k) {
    auto live = cur.live_members();
    MemberId v = live[rng() % live.size()].id;
    cur = *cur.without(v);
    failed.push_back(v);
  }
  std::shuffle(ms.begin(), ms.end(), rng);
  auto b = Table::replay(ms, failed, 65537, cur.generation());
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->same_buckets(cur));
  EXPECT_EQ(b->generation(), cur.generation());
}

TEST(Table, IsPrime) {
  EXPECT_TRUE(is_prime(65537));
  EXPECT_TRUE(is_prime(kMaxBuckets));
  EXPECT_FALSE(is_prime(65535));
  EXPECT_FALSE(is_prime(1));
  EXPECT_TRUE(is_prime(2));
}

}  // namespace
}  // namespace baton::dist
