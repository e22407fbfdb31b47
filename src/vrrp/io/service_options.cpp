#include "vrrp/io/service_options.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <tuple>

namespace baton::vrrp::io {

Status check_heartbeat_options(const HeartbeatOptions& h) {
  if (h.timing.multiplier < 3) return err("heartbeat multiplier must be at least 3");
  if (h.timing.interval < std::chrono::milliseconds(1))
    return err("heartbeat interval must be at least 1ms");
  if (h.local.port == 0 || h.peer.port == 0) return err("heartbeat endpoints need a port");
  return {};
}

// Idempotent: finishing twice gives the same result (baton-vrrpd finishes its options from
// the command line first, then the Service checks them again).
Status finish_instance_options(InstanceOptions& o) {
  std::string who = "vrrp instance '" + (o.segment.empty() ? o.interface : o.segment) + "'";
  if (o.interface.empty()) return err("{}: no interface", who);
  if (o.vips.empty()) return err("{}: no virtual address", who);
  Config& c = o.vrrp;
  c.family = o.vips.front().addr.family;
  c.virtual_addresses.clear();
  for (const auto& p : o.vips) {
    if (p.addr.family != c.family)
      return err("{}: virtual address {} is not {} as {} is; one instance per family", who,
                 p.to_string(), family_name(c.family), o.vips.front().to_string());
    c.virtual_addresses.push_back(p.addr);
  }
  for (const auto& a : o.unicast_peers)
    if (a.family != c.family)
      return err("{}: unicast peer {} is not of the virtual addresses' family", who,
                 a.to_string());
  if (!c.primary.is_unspecified() && c.primary.family != c.family)
    return err("{}: primary address {} is not of the virtual addresses' family", who,
               c.primary.to_string());
  if (c.name.empty() || c.name == "vrrp") {
    if (o.segment.empty()) c.name = "vrid" + std::to_string(c.vrid);
    else c.name = o.segment + (c.family == Family::ipv6 ? "-v6" : "");
  }
  if (o.segment.empty()) o.segment = c.name;
  if (o.vmac_name.empty())
    o.vmac_name = (c.family == Family::ipv4 ? "vrrp." : "vrrp6.") + std::to_string(c.vrid);
  if (o.vmac_name.size() > 15)
    return err("{}: macvlan name '{}' is longer than 15 characters", who, o.vmac_name);
  if (o.announce_count == 0) return err("{}: announce count must be at least 1", who);
  bool tracked = std::any_of(c.tracks.begin(), c.tracks.end(), [&](const TrackConfig& t) {
    return t.kind == TrackKind::interface && t.name == o.interface;
  });
  // Losing our own link is a fault: we can neither advertise nor serve.
  if (!tracked) c.tracks.push_back(TrackConfig{o.interface, TrackKind::interface, 0});
  // The rest (ranges, the primary address once known) is check_config's, at Service::create.
  return {};
}

Status finish_service_options(ServiceOptions& o) {
  if (o.instances.empty()) return err("vrrp group '{}': no instances", o.group);
  std::set<std::string> names, vmacs;
  std::set<std::tuple<std::string, Family, std::uint8_t>> vrids;
  for (auto& i : o.instances) {
    if (auto s = finish_instance_options(i); !s) return s;
    if (!names.insert(i.vrrp.name).second)
      return err("vrrp group '{}': two instances are named '{}'", o.group, i.vrrp.name);
    if (i.use_vmac && !vmacs.insert(i.vmac_name).second)
      return err("vrrp group '{}': instance '{}' uses macvlan name '{}' as another instance "
                 "does (same VRID on two segments): give each its own vmac name",
                 o.group, i.vrrp.name, i.vmac_name);
    if (!vrids.insert({i.interface, i.vrrp.family, i.vrrp.vrid}).second)
      return err("vrrp group '{}': instance '{}': VRID {} ({}) on {} is already used by another "
                 "instance",
                 o.group, i.vrrp.name, i.vrrp.vrid, family_name(i.vrrp.family), i.interface);
  }
  if (o.heartbeat)
    if (auto s = check_heartbeat_options(*o.heartbeat); !s)
      return err("vrrp group '{}': {}", o.group, s.error().message);
  return {};
}

}  // namespace baton::vrrp::io
