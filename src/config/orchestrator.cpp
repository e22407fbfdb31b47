#include "config/orchestrator.hpp"

#include "config/document.hpp"
#include "config/orchestrator_sections.hpp"
#include "core/log.hpp"

namespace baton::config {
namespace {

void read_distribution(MapReader& top, OrchestratorConfig& c) {
  auto f = top.get("distribution");
  if (!f) return;
  MapReader m(top.diag(), *f, {"mode", "buckets", "seed"});
  m.parsed("mode", c.distribution.mode, dist::parse_mode);
  if (auto b = m.get("buckets")) {
    if (auto v = read_uint(m.diag(), *b, 2, dist::kMaxBuckets)) {
      if (dist::is_prime(static_cast<std::uint32_t>(*v)))
        c.distribution.buckets = static_cast<std::uint32_t>(*v);
      else
        m.diag().add(
            b->at, b->path,
            fmt::format("{} is not a prime (the table size must be prime, e.g. 65537)", *v));
    }
  }
  m.uint("seed", c.distribution.seed, 0, 0xFFFFFFFFu);
}

void read_control(MapReader& top, OrchestratorConfig& c) {
  auto f = top.get("control");
  if (!f) return;
  MapReader m(top.diag(), *f, {"address", "port"});
  m.parsed("address", c.control.address, parse_ip);
  m.uint("port", c.control.port, 1, 65535);
}

void read_api(MapReader& top, OrchestratorConfig& c) {
  auto f = top.get("api");
  if (!f) return;
  MapReader m(top.diag(), *f, {"socket", "group"});
  if (auto s = m.get("socket")) {
    if (auto p = read_parsed<std::string>(m.diag(), *s, parse_abs_path)) {
      if (p->size() > 107)  // sun_path holds 108 bytes with the NUL
        m.diag().add(s->at, s->path, "a Unix socket path has at most 107 characters");
      else
        c.api.socket = *p;
    }
  }
  m.parsed("group", c.api.group, parse_group_name);
}

void read_metrics(MapReader& top, OrchestratorConfig& c) {
  auto f = top.get("metrics");
  if (!f) return;
  MapReader m(top.diag(), *f, {"listen"});
  auto l = m.get("listen");
  if (!l) return;
  if (l->node.IsScalar() && (l->node.Scalar() == "off" || l->node.Scalar() == "false")) {
    c.metrics.reset();
    return;
  }
  if (auto e = read_parsed<Endpoint>(m.diag(), *l, parse_endpoint)) c.metrics = *e;
}

void read_heartbeat(MapReader& top, OrchestratorConfig& c) {
  auto f = top.get("heartbeat");
  if (!f) return;
  MapReader m(top.diag(), *f, {"interval_ms", "miss_count"});
  m.uint("interval_ms", c.heartbeat.interval_ms, 1, 10000);
  m.uint("miss_count", c.heartbeat.miss_count, 1, 255);
}

void read_member_ports(MapReader& top, OrchestratorConfig& c) {
  auto f = top.get("member_ports");
  if (!f) return;
  MapReader m(top.diag(), *f, {"netns"});
  m.parsed("netns", c.member_ports_netns, parse_name);
}

void read_all(MapReader& top, OrchestratorConfig& c) {
  top.parsed("group", c.group, parse_name, Need::required);
  detail::read_identity(top, c);
  read_distribution(top, c);
  detail::read_vrrp(top, c);
  detail::read_peer_detection(top, c);
  detail::read_peer(top, c);
  detail::read_members(top, c);
  detail::read_segments(top, c);
  read_control(top, c);
  top.parsed("key_file", c.key_file, parse_abs_path, Need::required);
  top.parsed("state_dir", c.state_dir, parse_abs_path);
  read_api(top, c);
  read_metrics(top, c);
  read_heartbeat(top, c);
  read_member_ports(top, c);
  top.parsed("log_level", c.log_level, log::parse_level);
  detail::read_autoscale(top, c);
}

}  // namespace

std::string_view role_name(SegmentRole r) {
  switch (r) {
    case SegmentRole::ext: return "ext";
    case SegmentRole::int_: return "int";
    case SegmentRole::dl_ext: return "dl-ext";
    case SegmentRole::dl_int: return "dl-int";
    case SegmentRole::sync: return "sync";
  }
  return "?";
}

std::string_view metric_name(ScaleMetric m) {
  switch (m) {
    case ScaleMetric::cpu: return "cpu";
    case ScaleMetric::pps: return "pps";
    case ScaleMetric::bps: return "bps";
    case ScaleMetric::connections: return "connections";
  }
  return "?";
}

const SegmentConfig* OrchestratorConfig::segment(SegmentRole role) const {
  for (const auto& s : segments)
    if (s.role == role) return &s;
  return nullptr;
}

Result<OrchestratorConfig> parse_orchestrator_config(std::string_view text,
                                                     std::string_view name_for_messages) {
  Diagnostics d{std::string(name_for_messages)};
  auto doc = load_document(text, d);
  if (!doc) return d.to_error();
  Location root = location_of(doc->Mark());
  MapReader top(d, Field{*doc, root.line > 0 ? root : Location{1, 1}, ""},
                {"group", "orchestrator", "members", "spares", "distribution", "segments", "vrrp",
                 "peer_detection", "peer", "control", "key_file", "api", "metrics", "heartbeat",
                 "log_level", "autoscale", "state_dir", "member_ports"});
  OrchestratorConfig c;
  if (top.is_map()) read_all(top, c);
  if (!d.empty()) return d.to_error();
  return c;
}

Result<OrchestratorConfig> load_orchestrator_config(const std::string& path) {
  auto text = read_config_file(path);
  if (!text) return text.error();
  return parse_orchestrator_config(*text, path);
}

}  // namespace baton::config
