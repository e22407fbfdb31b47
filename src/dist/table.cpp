#include "dist/table.hpp"

#include <algorithm>
#include <numeric>
#include <queue>

#include "dist/flow.hpp"

namespace baton::dist {
namespace {

constexpr std::uint32_t kOffsetSeed = 0x5bd1e995u;
constexpr std::uint32_t kSkipSeed = 0x1b873593u;
constexpr std::uint32_t kTieSeed = 0x85ebca6bu;

std::uint32_t hash_id(std::uint32_t id, std::uint32_t seed) {
  return baton_fmix(baton_mix(seed, id), 4);
}

std::uint32_t hash_pair(std::uint32_t a, std::uint32_t b) {
  return baton_fmix(baton_mix(baton_mix(kTieSeed, a), b), 8);
}

Status validate(std::span<const MemberSpec> members, std::uint32_t buckets) {
  if (buckets < 2 || buckets > kMaxBuckets || !is_prime(buckets))
    return err("bucket count {} must be a prime between 2 and {}", buckets, kMaxBuckets);
  if (members.size() > kMaxMembers)
    return err("{} members is more than the supported {}", members.size(), kMaxMembers);
  std::vector<MemberId> ids;
  ids.reserve(members.size());
  for (const auto& m : members) {
    if (m.id == kNoMember) return err("member id {} is reserved", m.id);
    if (m.weight > kMaxWeight)
      return err("member {} has weight {}; weights are 0 to {}", m.id, m.weight, kMaxWeight);
    ids.push_back(m.id);
  }
  std::sort(ids.begin(), ids.end());
  auto dup = std::adjacent_find(ids.begin(), ids.end());
  if (dup != ids.end()) return err("member id {} is listed twice", *dup);
  return {};
}

std::vector<MemberSpec> sorted(std::span<const MemberSpec> members) {
  std::vector<MemberSpec> out(members.begin(), members.end());
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return out;
}

}  // namespace

bool is_prime(std::uint32_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (std::uint32_t d = 3; static_cast<std::uint64_t>(d) * d <= n; d += 2)
    if (n % d == 0) return false;
  return true;
}

std::vector<std::uint32_t> apportion(std::uint32_t total, std::span<const std::uint32_t> weights,
                                     std::span<const std::uint32_t> tiebreak) {
  std::vector<std::uint32_t> share(weights.size(), 0);
  std::uint64_t sum = std::accumulate(weights.begin(), weights.end(), std::uint64_t{0});
  if (sum == 0) return share;
  std::vector<std::uint64_t> rem(weights.size());
  std::uint64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    std::uint64_t exact = std::uint64_t{total} * weights[i];
    share[i] = static_cast<std::uint32_t>(exact / sum);
    rem[i] = exact % sum;
    given += share[i];
  }
  std::vector<std::size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (rem[a] != rem[b]) return rem[a] > rem[b];
    if (tiebreak[a] != tiebreak[b]) return tiebreak[a] < tiebreak[b];
    return a < b;
  });
  for (std::uint64_t k = 0; k < total - given; ++k) share[order[k]]++;
  return share;
}

Result<Table> Table::build(std::span<const MemberSpec> members, std::uint32_t buckets,
                           std::uint64_t generation) {
  if (auto ok = validate(members, buckets); !ok) return ok.error();
  Table t;
  t.base_ = sorted(members);
  t.generation_ = generation;
  t.buckets_.assign(buckets, kNoMember);

  const std::size_t n = t.base_.size();
  std::vector<std::uint32_t> weights(n), ties(n);
  for (std::size_t i = 0; i < n; ++i) {
    weights[i] = t.base_[i].weight;
    ties[i] = hash_id(t.base_[i].id, kTieSeed);
  }
  std::vector<std::uint32_t> quota = apportion(buckets, weights, ties);
  std::uint32_t qmax = quota.empty() ? 0 : *std::max_element(quota.begin(), quota.end());
  if (qmax == 0) return t;  // no member has weight: every bucket has no owner

  // Each member walks its own permutation of the buckets (offset, skip; M prime), taking the
  // next free bucket on its turns. Turns are interleaved Bresenham-style, so a member with
  // twice the quota takes two turns for every one of the other.
  struct Walker {
    std::uint32_t pos, skip, quota, acc;
    MemberId id;
  };
  std::vector<Walker> w;
  w.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (quota[i] == 0) continue;
    std::uint32_t id = t.base_[i].id;
    w.push_back({hash_id(id, kOffsetSeed) % buckets, hash_id(id, kSkipSeed) % (buckets - 1) + 1,
                 quota[i], 0, t.base_[i].id});
  }
  MemberId* table = t.buckets_.data();
  for (std::uint32_t round = 0; round < qmax; ++round) {
    for (auto& m : w) {
      m.acc += m.quota;
      if (m.acc < qmax) continue;
      m.acc -= qmax;
      std::uint32_t pos = m.pos;
      while (table[pos] != kNoMember) {
        pos += m.skip;
        if (pos >= buckets) pos -= buckets;
      }
      table[pos] = m.id;
      pos += m.skip;
      if (pos >= buckets) pos -= buckets;
      m.pos = pos;
    }
  }
  return t;
}

std::vector<MemberId> Table::plan_failure(MemberId failed,
                                          std::span<const std::uint32_t> owned) const {
  std::vector<MemberId> out(owned.size(), kNoMember);
  std::vector<MemberSpec> survivors;
  for (const auto& m : live_members())
    if (m.id != failed && m.weight > 0) survivors.push_back(m);
  if (survivors.empty() || owned.empty()) return out;

  std::vector<std::uint32_t> weights, ties;
  for (const auto& s : survivors) {
    weights.push_back(s.weight);
    ties.push_back(hash_pair(failed, s.id));
  }
  auto share = apportion(static_cast<std::uint32_t>(owned.size()), weights, ties);

  // Interleave: survivor s takes its j-th bucket at position (2j+1)/(2*share_s) of the list;
  // a min-heap orders these fractions exactly (cross-multiplied), ties by the pair hash.
  struct Turn {
    std::uint64_t num, den;
    std::uint32_t tie;
    std::size_t idx;
  };
  auto later = [](const Turn& a, const Turn& b) {
    std::uint64_t l = a.num * b.den, r = b.num * a.den;
    if (l != r) return l > r;
    if (a.tie != b.tie) return a.tie > b.tie;
    return a.idx > b.idx;
  };
  std::priority_queue<Turn, std::vector<Turn>, decltype(later)> heap(later);
  for (std::size_t i = 0; i < survivors.size(); ++i)
    if (share[i] > 0) heap.push({1, 2ull * share[i], ties[i], i});
  for (std::size_t k = 0; k < owned.size(); ++k) {
    Turn t = heap.top();
    heap.pop();
    out[k] = survivors[t.idx].id;
    if (t.num + 2 < t.den) heap.push({t.num + 2, t.den, t.tie, t.idx});
  }
  return out;
}

Result<Table> Table::without(MemberId failed) const {
  if (!is_live(failed)) return err("member {} is not in table generation {}", failed, generation_);
  std::vector<std::uint32_t> owned;
  for (std::uint32_t b = 0; b < size(); ++b)
    if (buckets_[b] == failed) owned.push_back(b);
  auto plan = plan_failure(failed, owned);
  Table t = *this;
  for (std::size_t k = 0; k < owned.size(); ++k) t.buckets_[owned[k]] = plan[k];
  t.failed_.push_back(failed);
  t.generation_ = generation_ + 1;
  return t;
}

std::vector<MemberId> Table::successors() const {
  std::vector<std::vector<std::uint32_t>> owned_by;  // index by position in live list
  auto live = live_members();
  std::vector<std::int32_t> index_of(65536, -1);
  for (std::size_t i = 0; i < live.size(); ++i) index_of[live[i].id] = static_cast<int>(i);
  owned_by.resize(live.size());
  for (std::uint32_t b = 0; b < size(); ++b) {
    MemberId o = buckets_[b];
    if (o != kNoMember && index_of[o] >= 0) owned_by[static_cast<std::size_t>(index_of[o])].push_back(b);
  }
  std::vector<MemberId> succ(size(), kNoMember);
  for (std::size_t i = 0; i < live.size(); ++i) {
    auto plan = plan_failure(live[i].id, owned_by[i]);
    for (std::size_t k = 0; k < plan.size(); ++k) succ[owned_by[i][k]] = plan[k];
  }
  return succ;
}

Result<Table> Table::replay(std::span<const MemberSpec> base, std::span<const MemberId> failed,
                            std::uint32_t buckets, std::uint64_t generation) {
  auto t = build(base, buckets, generation);
  if (!t) return t.error();
  Table cur = std::move(t).value();
  for (MemberId f : failed) {
    auto next = cur.without(f);
    if (!next) return err("cannot replay failure of member {}: {}", f, next.error().message);
    cur = std::move(next).value();
  }
  cur.generation_ = generation;
  return cur;
}

std::vector<MemberSpec> Table::live_members() const {
  std::vector<MemberSpec> out;
  out.reserve(base_.size());
  for (const auto& m : base_)
    if (std::find(failed_.begin(), failed_.end(), m.id) == failed_.end()) out.push_back(m);
  return out;
}

bool Table::is_live(MemberId id) const {
  bool in_base = std::any_of(base_.begin(), base_.end(), [&](auto& m) { return m.id == id; });
  return in_base && std::find(failed_.begin(), failed_.end(), id) == failed_.end();
}

std::vector<std::uint32_t> Table::counts() const {
  MemberId top = 0;
  for (const auto& m : base_) top = std::max(top, m.id);
  std::vector<std::uint32_t> c(base_.empty() ? 0 : std::size_t{top} + 1, 0);
  for (MemberId o : buckets_)
    if (o != kNoMember) c[o]++;
  return c;
}

}  // namespace baton::dist
