#include "vrrp/config.hpp"

#include <set>
#include <utility>

namespace baton::vrrp {

Status check_config(const Config& c) {
  const std::string& n = c.name;
  if (c.vrid == 0) return err("vrrp instance {}: vrid must be 1..255", n);
  if (c.priority == 0) return err("vrrp instance {}: priority must be 1..255", n);
  if (c.adver_interval_cs < 1 || c.adver_interval_cs > kMaxIntervalCs)
    return err("vrrp instance {}: advert interval {} cs out of 1..{}", n, c.adver_interval_cs,
               kMaxIntervalCs);
  if (c.version == Version::v2) {
    if (c.family != Family::ipv4) return err("vrrp instance {}: VRRPv2 is IPv4 only", n);
    if (c.adver_interval_cs % 100 != 0)
      return err("vrrp instance {}: VRRPv2 advert interval {} cs is not whole seconds", n,
                 c.adver_interval_cs);
  }
  if (c.preempt_delay < Duration::zero())
    return err("vrrp instance {}: preempt delay is negative", n);
  if (c.startup_hold < Duration::zero())
    return err("vrrp instance {}: startup hold is negative", n);
  if (c.primary.family != c.family || c.primary.is_unspecified() || c.primary.is_multicast())
    return err("vrrp instance {}: primary address {} is not a unicast {} address", n,
               c.primary.to_string(), family_name(c.family));
  if (c.family == Family::ipv6 && !c.primary.is_link_local())
    return err("vrrp instance {}: IPv6 primary address {} must be link-local (RFC 5798 5.1.2.1)",
               n, c.primary.to_string());
  if (c.virtual_addresses.empty() || c.virtual_addresses.size() > 255)
    return err("vrrp instance {}: {} virtual addresses (1..255 allowed)", n,
               c.virtual_addresses.size());
  for (const auto& a : c.virtual_addresses)
    if (a.family != c.family || a.is_unspecified() || a.is_multicast())
      return err("vrrp instance {}: virtual address {} is not a unicast {} address", n,
                 a.to_string(), family_name(c.family));
  std::set<std::pair<TrackKind, std::string>> seen;
  for (const auto& t : c.tracks) {
    if (t.name.empty()) return err("vrrp instance {}: a tracked item has no name", n);
    if (!seen.insert({t.kind, t.name}).second)
      return err("vrrp instance {}: '{}' is tracked twice", n, t.name);
    if (t.kind == TrackKind::health && t.weight == 0)
      return err("vrrp instance {}: health source '{}' needs a weight of 1..255", n, t.name);
  }
  return {};
}

}  // namespace baton::vrrp
