#include "sim/format.hpp"

#include <cmath>

#include <fmt/format.h>

namespace baton::sim {
namespace {

using json = nlohmann::ordered_json;

double fraction(std::uint64_t part, std::uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

json ratio_json(double r) { return std::isfinite(r) ? json(r) : json(nullptr); }

json moves_json(const Moves& m) {
  return {{"total", m.total},
          {"moved", m.moved},
          {"moved_fraction", fraction(m.moved, m.total)},
          {"collateral", m.collateral},
          {"collateral_fraction", fraction(m.collateral, m.total)},
          {"covered", m.covered},
          {"uncovered", m.uncovered},
          {"covered_fraction_of_moved", m.moved ? json(fraction(m.covered, m.moved)) : json(1.0)}};
}

json share_json(const Share& s, bool per_member) {
  json j = {{"live_members", s.live_members},
            {"weighted_members", s.weighted_members},
            {"min_flows", s.min_flows},
            {"min_member", s.min_member},
            {"max_flows", s.max_flows},
            {"max_member", s.max_member},
            {"min_buckets", s.min_buckets},
            {"max_buckets", s.max_buckets},
            {"max_min_ratio", ratio_json(s.max_min_ratio)},
            {"weighted_max_min_ratio", ratio_json(s.weighted_max_min_ratio)}};
  if (per_member) {
    json list = json::array();
    for (const auto& m : s.members)
      list.push_back({{"id", m.id}, {"weight", m.weight}, {"buckets", m.buckets},
                      {"flows", m.flows}});
    j["members"] = std::move(list);
  }
  return j;
}

json event_json(const EventReport& e, bool per_member) {
  bool has_weight = e.event.kind == EventKind::add || e.event.kind == EventKind::weight;
  json j = {{"index", e.index},
            {"event", describe(e.event)},
            {"kind", kind_name(e.event.kind)},
            {"member", e.event.member},
            {"weight", has_weight ? json(e.event.weight) : json(nullptr)},
            {"origin", e.event.origin},
            {"planned", e.planned},
            {"table_change", e.table_change},
            {"generation", e.generation},
            {"table_ms", e.table_ms},
            {"successors_ms", e.successors_ms},
            {"flows", moves_json(e.flows)},
            {"buckets", moves_json(e.buckets)},
            {"min_moved_buckets", e.min_moved_buckets},
            {"share", share_json(e.share, per_member)}};
  // Uncovered flows are pre-synced by a planned change and lost by a failure.
  j["flows"]["pre_synced"] = e.planned ? e.flows.uncovered : 0;
  j["flows"]["lost"] = e.planned ? 0 : e.flows.uncovered;
  return j;
}

}  // namespace

nlohmann::ordered_json to_json(const RunReport& r) {
  const Options& o = r.options;
  json weights = json::object();
  for (const auto& w : o.member_weights) weights[std::to_string(w.member)] = w.weight;
  json events = json::array();
  for (const auto& e : r.events) events.push_back(event_json(e, o.per_member));
  return {
      {"tool", "baton-sim"},
      {"parameters",
       {{"members", o.members},
        {"default_weight", o.default_weight},
        {"member_weights", weights},
        {"flows", o.population.flows},
        {"seed", o.population.seed},
        {"mode", dist::mode_name(o.population.mode)},
        {"buckets", o.population.buckets},
        {"ipv6_percent", o.population.ipv6_percent}}},
      {"population",
       {{"flows", r.population.flows},
        {"ipv4", r.population.ipv4},
        {"ipv6", r.population.ipv6},
        {"tcp", r.population.tcp},
        {"udp", r.population.udp},
        {"empty_buckets", r.population.empty_buckets},
        {"max_flows_per_bucket", r.population.max_per_bucket},
        {"generate_ms", r.population.generate_ms}}},
      {"initial",
       {{"generation", r.initial.generation},
        {"table_ms", r.initial.table_ms},
        {"successors_ms", r.initial.successors_ms},
        {"share", share_json(r.initial.share, o.per_member)}}},
      {"events", events}};
}

}  // namespace baton::sim
