// Sections about the orchestrator pair: this orchestrator's identity, VRRP, the fast peer
// detection on the sync link and the peer's address.
#include "config/orchestrator_sections.hpp"

namespace baton::config::detail {

void read_identity(MapReader& top, OrchestratorConfig& c) {
  auto f = top.get("orchestrator", Need::required);
  if (!f) return;
  MapReader m(top.diag(), *f, {"id", "name", "priority"});
  m.uint("id", c.self.id, 1, 255, Need::required);
  m.parsed("name", c.self.name, parse_name, Need::required);
  // 255 would claim to own the addresses (RFC 5798); the group's VIPs are never owned.
  m.uint("priority", c.self.priority, 1, 254);
}

void read_vrrp(MapReader& top, OrchestratorConfig& c) {
  c.vrrp.sync_group = c.group;
  auto f = top.get("vrrp");
  if (!f) return;
  MapReader m(
      top.diag(), *f,
      {"version", "advert_interval_ms", "preempt", "preempt_delay_ms", "startup_hold_ms", "checksum",
       "sync_group"});
  Diagnostics& d = m.diag();
  if (auto v = m.get("version")) {
    if (auto n = read_uint(d, *v, 2, 3)) c.vrrp.version = static_cast<vrrp::Version>(*n);
  }
  bool v2 = c.vrrp.version == vrrp::Version::v2;
  if (v2) c.vrrp.advert_interval_ms = 1000;  // keepalived's default; v2 counts whole seconds
  if (auto a = m.get("advert_interval_ms")) {
    std::uint64_t lo = v2 ? 1000 : 10, hi = v2 ? 255000 : 40950, step = v2 ? 1000 : 10;
    if (auto n = read_uint(d, *a, lo, hi)) {
      if (*n % step != 0)
        d.add(a->at, a->path,
              v2 ? fmt::format("{} is not whole seconds (VRRPv2 advertises in seconds)", *n)
                 : fmt::format("{} is not a multiple of 10 ms (VRRPv3 counts centiseconds)", *n));
      else
        c.vrrp.advert_interval_ms = static_cast<std::uint32_t>(*n);
    }
  }
  m.boolean("preempt", c.vrrp.preempt);
  m.uint("preempt_delay_ms", c.vrrp.preempt_delay_ms, 0, 3600000);
  m.uint("startup_hold_ms", c.vrrp.startup_hold_ms, 0, 600000);
  if (auto k = m.get("checksum")) {
    static constexpr Choice<vrrp::ChecksumMode> kModes[] = {
        {"with-pseudo-header", vrrp::ChecksumMode::pseudo_header},
        {"without", vrrp::ChecksumMode::message_only}};
    if (auto v = read_choice<vrrp::ChecksumMode>(d, *k, kModes)) {
      if (v2)
        d.add(k->at, k->path, "applies to VRRPv3 over IPv4 only (VRRPv2 has one convention)");
      else
        c.vrrp.checksum = *v;
    }
  }
  m.parsed("sync_group", c.vrrp.sync_group, parse_name);
}

void read_peer_detection(MapReader& top, OrchestratorConfig& c) {
  auto f = top.get("peer_detection");
  if (!f) return;
  MapReader m(top.diag(), *f, {"interval_ms", "multiplier"});
  m.uint("interval_ms", c.peer_detection.interval_ms, 1, 10000);
  m.uint("multiplier", c.peer_detection.multiplier, 3, 255);
}

void read_peer(MapReader& top, OrchestratorConfig& c) {
  auto f = top.get("peer");
  if (!f) return;
  MapReader m(top.diag(), *f, {"address", "port"});
  PeerConfig p;
  bool ok = false;
  if (auto a = m.get("address", Need::required)) {
    if (auto ip = read_parsed<IpAddr>(m.diag(), *a, parse_ip)) {
      if (ip->is_unspecified() || ip->is_multicast())
        m.diag().add(a->at, a->path, fmt::format("{} is not a unicast address", ip->to_string()));
      else {
        p.address = *ip;
        ok = true;
      }
    }
  }
  m.uint("port", p.port, 1, 65535);
  if (ok) c.peer = p;
}

}  // namespace baton::config::detail
