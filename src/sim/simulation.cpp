#include "sim/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

namespace baton::sim {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double ratio(double max, double min) {
  return min > 0 ? max / min : std::numeric_limits<double>::infinity();
}

std::uint64_t min_moves(const dist::Table& before, const dist::Table& after) {
  auto b = before.counts(), a = after.counts();
  std::uint64_t need = 0;
  for (std::size_t id = 0; id < b.size(); ++id) {
    std::uint32_t now = id < a.size() ? a[id] : 0;
    if (b[id] > now) need += b[id] - now;
  }
  return need;
}

}  // namespace

void count_moves(const dist::Table& before, const dist::Table& after,
                 const std::vector<dist::MemberId>& successors, dist::MemberId subject,
                 const std::vector<std::uint32_t>& per_bucket, Moves& flows, Moves& buckets) {
  flows = {};
  buckets = {};
  for (std::uint32_t b = 0; b < before.size(); ++b) {
    std::uint64_t n = per_bucket[b];
    flows.total += n;
    buckets.total++;
    dist::MemberId old_owner = before.owner(b), new_owner = after.owner(b);
    if (old_owner == new_owner) continue;
    flows.moved += n;
    buckets.moved++;
    if (old_owner != subject && new_owner != subject) {
      flows.collateral += n;
      buckets.collateral++;
    }
    if (new_owner == successors[b]) {
      flows.covered += n;
      buckets.covered++;
    }
  }
  flows.uncovered = flows.moved - flows.covered;
  buckets.uncovered = buckets.moved - buckets.covered;
}

Result<Simulation> Simulation::start(Group group, std::vector<std::uint32_t> per_bucket) {
  auto t0 = Clock::now();
  auto t = dist::Table::build(group.members(), static_cast<std::uint32_t>(per_bucket.size()), 1);
  double table_ms = ms_since(t0);
  if (!t) return err("cannot build the initial table: {}", t.error().message);
  Simulation sim(std::move(group), std::move(per_bucket), std::move(*t));
  auto t1 = Clock::now();
  sim.successors_ = sim.table_.successors();
  sim.initial_.successors_ms = ms_since(t1);
  sim.initial_.table_ms = table_ms;
  sim.initial_.generation = sim.table_.generation();
  sim.initial_.share = sim.share_of(sim.table_);
  return sim;
}

Result<EventReport> Simulation::apply(const Event& e) {
  if (auto ok = group_.check(e); !ok) return ok.error();
  Group next_group = group_;
  next_group.apply(e);

  EventReport r;
  r.index = ++events_;
  r.event = e;
  r.planned = is_planned(e.kind);
  bool patch = e.kind == EventKind::fail || e.kind == EventKind::admin_down;
  r.table_change = patch ? "failure patch" : "rebuild";

  auto t0 = Clock::now();
  auto next = patch ? table_.without(e.member) : rebuild(e);
  r.table_ms = ms_since(t0);
  if (!next) return err("{}: cannot compute the new table: {}", e.origin, next.error().message);

  count_moves(table_, *next, successors_, e.member, per_bucket_, r.flows, r.buckets);
  r.min_moved_buckets = min_moves(table_, *next);

  auto t1 = Clock::now();
  std::vector<dist::MemberId> next_successors = next->successors();
  r.successors_ms = ms_since(t1);

  table_ = std::move(*next);
  successors_ = std::move(next_successors);
  group_ = std::move(next_group);
  r.generation = table_.generation();
  r.share = share_of(table_);
  return r;
}

// A planned add or weight change rebuilds from the table's inputs with the change applied:
// the base members (a member that failed stays in the base) and the ordered failure list,
// replayed. Keeping the failures as patches, rather than rebuilding from the live members
// only, means the rebuild differs from the current table by about the changed member's share
// (Maglev's minimal disruption), not by every bucket the failure patches placed. A member
// that had failed and is added again leaves the failure list.
Result<dist::Table> Simulation::rebuild(const Event& e) const {
  std::vector<dist::MemberSpec> base = table_.base_members();
  std::vector<dist::MemberId> failed = table_.failed();
  auto in_base = std::find_if(base.begin(), base.end(), [&](auto& m) { return m.id == e.member; });
  if (in_base == base.end()) base.push_back({e.member, e.weight});
  else in_base->weight = e.weight;
  failed.erase(std::remove(failed.begin(), failed.end(), e.member), failed.end());
  return dist::Table::replay(base, failed, table_.size(), table_.generation() + 1);
}

Share Simulation::share_of(const dist::Table& t) const {
  std::vector<std::uint64_t> flows(65536, 0);
  std::vector<std::uint32_t> buckets(65536, 0);
  for (std::uint32_t b = 0; b < t.size(); ++b) {
    dist::MemberId o = t.owner(b);
    if (o == dist::kNoMember) continue;
    flows[o] += per_bucket_[b];
    buckets[o]++;
  }
  Share s;
  double wmax = 0, wmin = std::numeric_limits<double>::infinity();
  for (const auto& m : t.live_members()) {
    s.live_members++;
    s.members.push_back({m.id, m.weight, buckets[m.id], flows[m.id]});
    if (m.weight == 0) continue;
    std::uint64_t f = flows[m.id];
    std::uint32_t nb = buckets[m.id];
    bool first = s.weighted_members == 0;
    if (first || f < s.min_flows) {
      s.min_flows = f;
      s.min_member = m.id;
    }
    if (first || f > s.max_flows) {
      s.max_flows = f;
      s.max_member = m.id;
    }
    if (first || nb < s.min_buckets) s.min_buckets = nb;
    if (first || nb > s.max_buckets) s.max_buckets = nb;
    double per_weight = static_cast<double>(f) / m.weight;
    wmax = std::max(wmax, per_weight);
    wmin = std::min(wmin, per_weight);
    s.weighted_members++;
  }
  s.max_min_ratio = ratio(static_cast<double>(s.max_flows), static_cast<double>(s.min_flows));
  s.weighted_max_min_ratio = s.weighted_members ? ratio(wmax, wmin) : 0;
  return s;
}

}  // namespace baton::sim
