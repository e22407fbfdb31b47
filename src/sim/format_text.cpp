// The human form of a baton-sim report: a header, the initial table, one row per event and
// the notes that explain the columns that need one.
#include <cmath>

#include <fmt/format.h>

#include "sim/format.hpp"

namespace baton::sim {
namespace {

std::string pct(std::uint64_t part, std::uint64_t whole) {
  return whole ? fmt::format("{:.4f}%", 100.0 * static_cast<double>(part) /
                                           static_cast<double>(whole))
               : "-";
}

std::string ratio(double r) { return std::isfinite(r) ? fmt::format("{:.4f}", r) : "inf"; }

std::string weights_text(const Options& o) {
  std::string s = fmt::format("weight {}", o.default_weight);
  for (const auto& w : o.member_weights) s += fmt::format(", {}={}", w.member, w.weight);
  return s;
}

void members_text(std::string& out, const Share& s) {
  out += fmt::format("    {:>6} {:>6} {:>8} {:>10}\n", "member", "weight", "buckets", "flows");
  for (const auto& m : s.members)
    out += fmt::format("    {:>6} {:>6} {:>8} {:>10}\n", m.id, m.weight, m.buckets, m.flows);
}

}  // namespace

std::string to_text(const RunReport& r) {
  const Options& o = r.options;
  const Population& p = r.population;
  std::string out;
  out += fmt::format("baton-sim: {} members ({}), {} buckets, mode {}\n", o.members,
                     weights_text(o), o.population.buckets, dist::mode_name(o.population.mode));
  out += fmt::format("flows: {} (seed {}; IPv4 {}, IPv6 {}; TCP {}, UDP {}), generated in "
                     "{:.1f} ms; {} empty buckets, at most {} flows in a bucket\n",
                     p.flows, o.population.seed, p.ipv4, p.ipv6, p.tcp, p.udp, p.generate_ms,
                     p.empty_buckets, p.max_per_bucket);
  const Share& s0 = r.initial.share;
  out += fmt::format("initial table (generation {}): built in {:.3f} ms, successors in {:.3f} "
                     "ms; flows per member min {} (member {}), max {} (member {}), max/min {}; "
                     "buckets per member {}..{}\n",
                     r.initial.generation, r.initial.table_ms, r.initial.successors_ms,
                     s0.min_flows, s0.min_member, s0.max_flows, s0.max_member,
                     ratio(s0.max_min_ratio), s0.min_buckets, s0.max_buckets);
  if (o.per_member) members_text(out, s0);
  if (r.events.empty()) {
    out += "no events (give --fail, --admin-down, --add, --weight or --scenario)\n";
    return out;
  }
  out += fmt::format("\nmovement (flows; buckets moved and, in brackets, the least any table "
                     "could move)\n{:>3}  {:<22} {:<7} {:<13} {:>15} {:>9} {:>9} {:>10} {:>9} "
                     "{:>9} {:>17}\n",
                     "#", "event", "planned", "table", "buckets", "moved", "moved%", "collateral",
                     "coll%", "covered", "uncovered");
  bool any_planned_uncovered = false, any_lost = false;
  for (const auto& e : r.events) {
    const Moves& f = e.flows;
    std::string uncovered = std::to_string(f.uncovered);
    if (f.uncovered > 0) {
      uncovered += e.planned ? " pre-sync" : " LOST";
      (e.planned ? any_planned_uncovered : any_lost) = true;
    }
    out += fmt::format("{:>3}  {:<22} {:<7} {:<13} {:>15} {:>9} {:>9} {:>10} {:>9} {:>9} "
                       "{:>17}\n",
                       e.index, describe(e.event), e.planned ? "yes" : "no", e.table_change,
                       fmt::format("{} ({})", e.buckets.moved, e.min_moved_buckets), f.moved,
                       pct(f.moved, f.total), f.collateral, pct(f.collateral, f.total),
                       f.covered, uncovered);
  }
  out += fmt::format("\nshare after each event (flows per live member with weight > 0)\n{:>3}  "
                     "{:>10} {:>7} {:>9} {:>9} {:>8} {:>9} {:>15} {:>9} {:>8}\n",
                     "#", "generation", "members", "min", "max", "max/min", "w-max/min",
                     "buckets/member", "table ms", "succ ms");
  for (const auto& e : r.events) {
    const Share& s = e.share;
    out += fmt::format("{:>3}  {:>10} {:>7} {:>9} {:>9} {:>8} {:>9} {:>15} {:>9.3f} {:>8.3f}\n",
                       e.index, e.generation, s.live_members, s.min_flows, s.max_flows,
                       ratio(s.max_min_ratio), ratio(s.weighted_max_min_ratio),
                       fmt::format("{}..{}", s.min_buckets, s.max_buckets), e.table_ms,
                       e.successors_ms);
    if (o.per_member) members_text(out, s);
  }
  out += any_lost ? "WARNING: some failure moved flows to a member without their state: those "
                    "connections are lost.\n"
                  : "every flow moved by a failure went to its bucket's successor, which held "
                    "its state: none lost.\n";
  if (any_planned_uncovered)
    out += "uncovered flows of planned events are pre-synced to their new owner by the "
           "planned-change protocol before the new table is committed.\n";
  return out;
}

}  // namespace baton::sim
