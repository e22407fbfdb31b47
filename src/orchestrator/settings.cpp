#include "orchestrator/settings.hpp"

namespace baton::orchestrator {

GroupSettings group_settings(const config::OrchestratorConfig& c) {
  GroupSettings s;
  s.members = c.members;
  s.spares = c.spares;
  s.buckets = c.distribution.buckets;
  s.orchestrator_id = c.self.id;
  s.heartbeat_interval = std::chrono::milliseconds(c.heartbeat.interval_ms);
  s.miss_count = c.heartbeat.miss_count;
  return s;
}

Result<vrrp::io::ServiceOptions> vrrp_options(const config::OrchestratorConfig& c,
                                              std::optional<vrrp::IpAddr> sync_local) {
  vrrp::io::ServiceOptions o;
  o.group = c.vrrp.sync_group.empty() ? c.group : c.vrrp.sync_group;
  for (const auto& seg : c.segments) {
    if (seg.vrid == 0) continue;
    for (const auto* list : {&seg.virtual_ipv4, &seg.virtual_ipv6}) {
      if (list->empty()) continue;
      vrrp::io::InstanceOptions i;
      i.segment = seg.name;
      i.interface = seg.interface;
      i.vrrp.version = c.vrrp.version;
      i.vrrp.vrid = seg.vrid;
      i.vrrp.priority = c.self.priority;
      i.vrrp.adver_interval_cs = static_cast<std::uint16_t>(c.vrrp.advert_interval_ms / 10);
      i.vrrp.preempt = c.vrrp.preempt;
      i.vrrp.preempt_delay = std::chrono::milliseconds(c.vrrp.preempt_delay_ms);
      i.vrrp.startup_hold = std::chrono::milliseconds(c.vrrp.startup_hold_ms);
      i.vrrp.checksum = c.vrrp.checksum;
      for (const auto& p : *list) i.vips.push_back(vrrp::io::IpPrefix{p.address, p.length});
      o.instances.push_back(std::move(i));
    }
  }
  if (o.instances.empty()) return err("no segment has a vrid and virtual addresses: nothing to fail over");
  if (c.peer && sync_local) {
    vrrp::io::HeartbeatOptions h;
    h.local = vrrp::io::Endpoint{*sync_local, heartbeat_port(c)};
    h.peer = vrrp::io::Endpoint{c.peer->address, heartbeat_port(c)};
    h.timing.interval = std::chrono::milliseconds(c.peer_detection.interval_ms);
    h.timing.multiplier = static_cast<std::uint8_t>(c.peer_detection.multiplier);
    o.heartbeat = h;
  }
  if (auto s = vrrp::io::finish_service_options(o); !s) return s.error();
  return o;
}

}  // namespace baton::orchestrator
