// The `show` views as text. Layout decisions: numbers right-aligned, one row per object, rare
// details (admin-down reasons, failed members) in a block after the table, "-" for anything
// missing.
#include <fmt/format.h>

#include "cli/format.hpp"
#include "cli/format_util.hpp"

namespace baton::cli {

using nlohmann::json;

namespace {

const json& array_or_empty(const json& j, std::string_view key) {
  static const json empty = json::array();
  const json* v = find(j, {key});
  return v != nullptr && v->is_array() ? *v : empty;
}

std::string members_summary(const json& result) {
  const json* m = find(result, {"members"});
  if (m == nullptr || !m->is_object()) return std::string(kMissing);
  return fmt::format("{} total: {} active, {} failed, {} down, {} spare", text(*m, {"total"}),
                     text(*m, {"active"}), text(*m, {"failed"}), text(*m, {"down"}),
                     text(*m, {"spare"}));
}

std::string orchestrator(const json& result) {
  std::string name = text(result, {"orchestrator", "name"});
  std::string id = text(result, {"orchestrator", "id"});
  if (id == kMissing) return name;
  return fmt::format("{} (id {})", name, id);
}

std::string admin_cell(const json& m) {
  std::string state = text(m, {"admin", "state"});
  if (state != kMissing && boolean(m, {"admin", "persistent"}).value_or(false)) state += " -p";
  return state;
}

std::string live_generation(const json& result) {
  std::string live = text(result, {"live_generation"});
  auto computed = number(result, {"generation"});
  auto read = number(result, {"live_generation"});
  if (computed && read && *computed != *read)
    return fmt::format("{} (generation {} is not live yet)", live, text(result, {"generation"}));
  return live;
}

// A planned change being prepared: "generation 43 (why); by us for 12 ms; waiting for gw1".
std::string preparing(const json& result) {
  const json* p = find(result, {"preparing"});
  if (p == nullptr || !p->is_object()) return "";
  std::string waiting;
  if (const json* w = find(*p, {"waiting_for"}); w != nullptr && w->is_array())
    for (const auto& n : *w)
      if (n.is_string()) waiting += (waiting.empty() ? "" : ", ") + n.get<std::string>();
  auto since = number(*p, {"since_ms"});
  return fmt::format("generation {} ({}); by {}{}; {}", text(*p, {"generation"}), text(*p, {"why"}),
                     text(*p, {"by"}), since ? fmt::format(" for {}", age_ms(*since)) : "",
                     waiting.empty() ? "nobody left to wait for" : "waiting for " + waiting);
}

}  // namespace

std::string format_status(const json& result) {
  auto uptime = number(result, {"uptime_s"});
  std::vector<std::pair<std::string, std::string>> rows{
      {"group", text(result, {"group"})},
      {"orchestrator", orchestrator(result)},
      {"role", text(result, {"role"})},
      {"vrrp", text(result, {"vrrp_state"})},
      {"peer", text(result, {"peer", "state"})},
      {"generation", text(result, {"generation"})},
  };
  if (auto p = preparing(result); !p.empty()) rows.emplace_back("preparing", p);
  rows.emplace_back("members", members_summary(result));
  rows.emplace_back("uptime", uptime ? duration_s(*uptime) : std::string(kMissing));
  return key_values(rows);
}

std::string format_members(const json& result) {
  using A = Align;
  Table t({"NAME", "ID", "STATE", "WEIGHT", "BUCKETS", "ADMIN", "LAST-HB", "CPU", "PPS", "CONNS",
           "GEN"},
          {A::left, A::right, A::left, A::right, A::right, A::left, A::right, A::right, A::right,
           A::right, A::right});
  Table down({"ADMIN-DOWN", "PERSISTENT", "WHO", "SINCE", "REASON"}, {});
  bool any_down = false;
  const json& members = array_or_empty(result, "members");
  for (const auto& m : members) {
    auto hb = number(m, {"last_heartbeat_ms"});
    auto cpu = number(m, {"load", "cpu_permille"});
    auto pps = number(m, {"load", "packets_per_sec"});
    t.add({text(m, {"name"}), text(m, {"id"}), text(m, {"state"}), text(m, {"weight"}),
           text(m, {"buckets"}), admin_cell(m), hb ? age_ms(*hb) : std::string(kMissing),
           cpu ? permille_percent(*cpu) : std::string(kMissing),
           pps ? si(*pps) : std::string(kMissing), text(m, {"load", "conntrack_count"}),
           text(m, {"generation"})});
    if (text(m, {"admin", "state"}) == "down") {
      any_down = true;
      down.add({text(m, {"name"}), text(m, {"admin", "persistent"}), text(m, {"admin", "who"}),
                timestamp(find(m, {"admin", "since"})), text(m, {"admin", "reason"})});
    }
  }
  std::string out = t.render();
  if (members.empty()) out += "(no members)\n";
  if (any_down) out += "\n" + down.render();
  return out;
}

std::string format_distribution(const json& result) {
  std::string out = key_values({
      {"generation", text(result, {"generation"})},
      {"live generation", live_generation(result)},
      {"mode", text(result, {"mode"})},
      {"buckets", text(result, {"buckets"})},
      {"seed", text(result, {"seed"})},
  });
  const json& members = array_or_empty(result, "members");
  double total = number(result, {"buckets"}).value_or(0);
  if (total <= 0) {
    total = 0;
    for (const auto& m : members) total += number(m, {"buckets"}).value_or(0);
  }
  using A = Align;
  Table t({"NAME", "ID", "WEIGHT", "BUCKETS", "SHARE"},
          {A::left, A::right, A::right, A::right, A::right});
  for (const auto& m : members) {
    auto b = number(m, {"buckets"});
    std::string share = b && total > 0 ? fmt::format("{:.1f}%", *b * 100 / total)
                                       : std::string(kMissing);
    t.add({text(m, {"name"}), text(m, {"id"}), text(m, {"weight"}), text(m, {"buckets"}), share});
  }
  out += "\n" + t.render();
  if (members.empty()) out += "(no members hold buckets)\n";
  const json& failed = array_or_empty(result, "failed");
  std::string names;
  for (const auto& f : failed) names += (names.empty() ? "" : ", ") + text(&f);
  if (find(result, {"failed"}) == nullptr) names = std::string(kMissing);
  out += "\nfailed, in failure order: " + (names.empty() ? std::string("none") : names) + "\n";
  return out;
}

std::string format_vrrp(const json& result) {
  std::string out = key_values({
      {"sync group", text(result, {"sync_group"})},
      {"state", text(result, {"state"})},
  });
  using A = Align;
  Table t({"SEGMENT", "INTERFACE", "VRID", "STATE", "PRIORITY", "MASTER", "ADVERTS-RX",
           "ADVERTS-TX"},
          {A::left, A::left, A::right, A::left, A::right, A::left, A::right, A::right});
  const json& instances = array_or_empty(result, "instances");
  for (const auto& i : instances)
    t.add({text(i, {"segment"}), text(i, {"interface"}), text(i, {"vrid"}), text(i, {"state"}),
           text(i, {"priority"}), text(i, {"master"}), text(i, {"adverts_rx"}),
           text(i, {"adverts_tx"})});
  out += "\n" + t.render();
  if (instances.empty()) out += "(no VRRP instances)\n";
  return out;
}

std::string format_show(std::string_view what, const json& result) {
  if (what == "status") return format_status(result);
  if (what == "members") return format_members(result);
  if (what == "distribution") return format_distribution(result);
  if (what == "vrrp") return format_vrrp(result);
  return fmt::format("no table for \"{}\"; the answer as JSON:\n{}", what, format_json(result));
}

std::string format_json(const json& result) { return result.dump(2) + "\n"; }

std::string format_member_change(const json& request, const json& result) {
  std::string name = text(result, {"name"});
  if (name == kMissing) name = text(request, {"name"});
  std::string action = text(request, {"action"});
  std::string admin = action == "add"      ? "into service from the spare pool"
                      : action == "remove" ? "back to the spare pool"
                      : action == "weight" ? "weight " + text(request, {"weight"})
                                           : "admin " + action;
  if (boolean(request, {"persistent"}).value_or(false)) admin += " (persistent)";
  std::string now = fmt::format("state {}, table generation {}", text(result, {"state"}),
                                text(result, {"generation"}));
  auto changed = boolean(result, {"changed"});
  if (!changed) return fmt::format("member {}: {} requested; {}\n", name, admin, now);
  if (*changed) return fmt::format("member {}: {}; {}\n", name, admin, now);
  return fmt::format("member {}: already {}, nothing changed; {}\n", name, admin, now);
}

std::string format_failover(const json& result) {
  if (boolean(result, {"resigned"}).value_or(false))
    return "failover: this orchestrator resigned (VRRP priority 0); the standby takes over\n";
  return "failover: batond did not report resigning: " + result.dump() + "\n";
}

}  // namespace baton::cli
