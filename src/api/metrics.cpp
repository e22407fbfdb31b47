// render_metrics(): the text exposition of a MetricsSnapshot, metric by metric in the order of
// metrics_list.hpp.
#include "api/metrics.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "api/metrics_list.hpp"

namespace baton::api {

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

namespace {

// HELP text escapes backslash and newline (not quotes).
std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

struct Sample {
  std::string label_value;  // ignored when the metric has no label
  std::uint64_t value;
};

std::vector<Sample> per_member(const MetricsSnapshot& s,
                               std::uint64_t (*get)(const MemberMetrics&)) {
  std::vector<Sample> out;
  for (const auto& m : s.members) out.push_back({m.name, get(m)});
  return out;
}

std::vector<Sample> member_states(const MetricsSnapshot& s) {
  std::map<std::string, std::uint64_t, std::less<>> count;
  for (const auto& m : s.members) ++count[m.state];
  std::vector<Sample> out;
  for (auto st : kMemberStates) {
    auto it = count.find(st);
    out.push_back({std::string(st), it == count.end() ? 0 : it->second});
    if (it != count.end()) count.erase(it);
  }
  for (const auto& [st, n] : count) out.push_back({st, n});  // states this build does not know
  return out;
}

std::vector<Sample> samples(Metric m, const MetricsSnapshot& s) {
  switch (m) {
    case Metric::members:
      return member_states(s);
    case Metric::member_buckets:
      return per_member(s, [](const MemberMetrics& x) { return x.buckets; });
    case Metric::member_weight:
      return per_member(s, [](const MemberMetrics& x) { return x.weight; });
    case Metric::member_up:
      return per_member(s, [](const MemberMetrics& x) -> std::uint64_t { return x.up ? 1 : 0; });
    case Metric::member_cpu_permille:
      return per_member(s, [](const MemberMetrics& x) { return x.cpu_permille; });
    case Metric::member_conntrack:
      return per_member(s, [](const MemberMetrics& x) { return x.conntrack; });
    case Metric::table_generation:
      return {{"", s.table_generation}};
    case Metric::table_live_generation:
      return {{"", s.table_live_generation}};
    case Metric::vrrp_state: {
      std::vector<Sample> out;
      for (const auto& v : s.vrrp) out.push_back({v.segment, static_cast<std::uint64_t>(v.state)});
      return out;
    }
    case Metric::role:
      return {{"", s.active ? 1u : 0u}};
    case Metric::xdp_packets:
      return {{"distributed", s.xdp.distributed},
              {"passed_local", s.xdp.passed_local},
              {"passed_ttl", s.xdp.passed_ttl},
              {"passed_not_ip", s.xdp.passed_not_ip},
              {"passed_unconfigured", s.xdp.passed_unconfigured},
              {"dropped_malformed", s.xdp.dropped_malformed},
              {"no_member", s.xdp.no_member}};
    case Metric::xdp_member_packets:
      return per_member(s, [](const MemberMetrics& x) { return x.xdp_packets; });
    case Metric::control_dropped: {
      std::vector<Sample> out;
      for (const auto& [reason, n] : s.control_dropped) out.push_back({reason, n});
      return out;
    }
    case Metric::control_accepted:
      return {{"", s.control_accepted}};
    case Metric::peer_up:
      return {{"", s.peer_up ? 1u : 0u}};
  }
  panic("render_metrics: a metric of metrics_list.hpp has no samples");
}

}  // namespace

std::string render_metrics(const MetricsSnapshot& s) {
  std::string out;
  for (std::size_t i = 0; i < kMetrics.size(); ++i) {
    const MetricInfo& info = kMetrics[i];
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", info.name, escape_help(info.help),
                       info.name, metric_type_name(info.type));
    for (const auto& sample : samples(static_cast<Metric>(i), s)) {
      if (info.label.empty())
        out += fmt::format("{} {}\n", info.name, sample.value);
      else
        out += fmt::format("{}{{{}=\"{}\"}} {}\n", info.name, info.label,
                           escape_label_value(sample.label_value), sample.value);
    }
  }
  return out;
}

}  // namespace baton::api
