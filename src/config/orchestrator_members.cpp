// The members and the spare pool (ids and names unique across both), and the auto-scaling
// policy that draws on the pool.
#include <limits>

#include "config/orchestrator_sections.hpp"

namespace baton::config::detail {
namespace {

// What has been seen so far, to name the first holder of a duplicate.
struct Seen {
  std::string value;
  std::string path;
};

const Seen* find(const std::vector<Seen>& seen, std::string_view value) {
  for (const auto& s : seen)
    if (s.value == value) return &s;
  return nullptr;
}

struct MemberChecks {
  std::vector<Seen> ids, names, ports;
};

inline constexpr std::size_t kMaxPorts = 8;

void read_ports(MapReader& member, MemberChecks& seen, const std::string& owner,
                MemberConfig& out) {
  auto f = member.get("ports");
  if (!f) return;
  Diagnostics& d = member.diag();
  auto items = read_list(d, *f);
  if (!items) return;
  if (items->size() > kMaxPorts)
    d.add(f->at, f->path, fmt::format("{} ports, at most {}", items->size(), kMaxPorts));
  for (const auto& item : *items) {
    auto n = read_parsed<std::string>(d, item, parse_ifname);
    if (!n) continue;
    if (const Seen* s = find(seen.ports, *n)) {
      d.add(item.at, item.path, fmt::format("port '{}' is already {}'s", *n, s->path));
      continue;
    }
    seen.ports.push_back({*n, owner});
    out.ports.push_back(*n);
  }
}

void read_mac(MapReader& member, MemberConfig& out) {
  auto f = member.get("mac");
  if (!f) return;
  MapReader m(member.diag(), *f, {"ext", "int"});
  MacAddr mac;
  if (m.parsed("ext", mac, parse_mac)) out.mac_ext = mac;
  if (m.parsed("int", mac, parse_mac)) out.mac_int = mac;
  if (out.mac_ext && out.mac_int && *out.mac_ext == *out.mac_int)
    m.diag().add(f->at, f->path, "ext and int have the same MAC address");
}

void read_member(Diagnostics& d, const Field& item, MemberChecks& seen,
                 std::vector<MemberConfig>& out) {
  MapReader m(d, item, {"name", "id", "weight", "mac", "ports"});
  if (!m.is_map()) return;
  MemberConfig mc;
  if (auto f = m.get("name", Need::required)) {
    if (auto n = read_parsed<std::string>(d, *f, parse_name)) {
      if (const Seen* s = find(seen.names, *n))
        d.add(f->at, f->path, fmt::format("'{}' is already used by {}", *n, s->path));
      else
        seen.names.push_back({*n, item.path});
      mc.name = *n;
    }
  }
  if (auto f = m.get("id", Need::required)) {
    if (auto id = read_uint(d, *f, 1, dist::kMaxMembers)) {
      std::string key = std::to_string(*id);
      if (const Seen* s = find(seen.ids, key))
        d.add(f->at, f->path, fmt::format("{} is already used by {}", *id, s->path));
      else
        seen.ids.push_back({key, item.path});
      mc.id = static_cast<dist::MemberId>(*id);
    }
  }
  m.uint("weight", mc.weight, 0, dist::kMaxWeight);
  read_mac(m, mc);
  read_ports(m, seen, mc.name.empty() ? item.path : mc.name, mc);
  out.push_back(std::move(mc));
}

}  // namespace

void read_members(MapReader& top, OrchestratorConfig& c) {
  Diagnostics& d = top.diag();
  MemberChecks seen;
  if (auto f = top.get("members", Need::required)) {
    if (auto items = read_list(d, *f)) {
      if (items->empty()) d.add(f->at, f->path, "needs at least one member");
      for (const auto& item : *items) read_member(d, item, seen, c.members);
      bool any_weight = false;
      for (const auto& mc : c.members) any_weight = any_weight || mc.weight > 0;
      if (!c.members.empty() && !any_weight)
        d.add(f->at, f->path, "every member has weight 0; at least one must take buckets");
    }
  }
  if (auto f = top.get("spares")) {
    if (auto items = read_list(d, *f))
      for (const auto& item : *items) read_member(d, item, seen, c.spares);
  }
}

void read_autoscale(MapReader& top, OrchestratorConfig& c) {
  auto f = top.get("autoscale");
  if (!f) return;
  Diagnostics& d = top.diag();
  MapReader m(d, *f,
              {"metric", "scale_out_above", "scale_in_below", "window_s", "cooldown_s",
               "min_members", "max_members"});
  if (!m.is_map()) return;
  AutoscaleConfig a;
  static constexpr Choice<ScaleMetric> kMetrics[] = {{"cpu", ScaleMetric::cpu},
                                                     {"pps", ScaleMetric::pps},
                                                     {"bps", ScaleMetric::bps},
                                                     {"connections", ScaleMetric::connections}};
  m.choice<ScaleMetric>("metric", a.metric, kMetrics);
  bool cpu = a.metric == ScaleMetric::cpu;
  // CPU thresholds are percentages with defaults; the other metrics have no sensible default.
  Need need = cpu ? Need::optional : Need::required;
  std::uint64_t hi = cpu ? 100 : std::numeric_limits<std::int64_t>::max();
  m.uint("scale_out_above", a.scale_out_above, 1, hi, need);
  auto in = m.get("scale_in_below", need);
  if (in) {
    if (auto v = read_uint(d, *in, 0, hi)) {
      if (*v >= a.scale_out_above)
        d.add(in->at, in->path,
              fmt::format("{} must be below scale_out_above ({})", *v, a.scale_out_above));
      else
        a.scale_in_below = *v;
    }
  }
  if (!in && a.scale_in_below >= a.scale_out_above)
    d.add(f->at, child_path(f->path, "scale_in_below"),
          fmt::format("the default {} is not below scale_out_above ({}); set it", a.scale_in_below,
                      a.scale_out_above));
  m.uint("window_s", a.window_s, 1, 86400);
  m.uint("cooldown_s", a.cooldown_s, 0, 86400);
  auto pool = static_cast<std::uint32_t>(c.members.size() + c.spares.size());
  a.max_members = pool;
  m.uint("min_members", a.min_members, 1, dist::kMaxMembers);
  if (auto mx = m.get("max_members")) {
    if (auto v = read_uint(d, *mx, 1, dist::kMaxMembers)) {
      if (*v > pool)
        d.add(mx->at, mx->path,
              fmt::format("{} is more than the {} members and spares configured", *v, pool));
      else
        a.max_members = static_cast<std::uint32_t>(*v);
    }
  }
  if (a.min_members > a.max_members)
    d.add(f->at, f->path,
          fmt::format("min_members ({}) is above max_members ({})", a.min_members, a.max_members));
  c.autoscale = a;
}

}  // namespace baton::config::detail
