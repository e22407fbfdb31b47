// Segments: the networks the group has addresses on. Every segment but the sync link runs one
// VRRP instance per address family (same VRID); names are unique, a VRID is used once per
// interface, a virtual address appears once, and the four data roles are each present once.
#include "config/orchestrator_sections.hpp"

namespace baton::config::detail {
namespace {

constexpr Choice<SegmentRole> kRoles[] = {{"ext", SegmentRole::ext},
                                          {"int", SegmentRole::int_},
                                          {"dl-ext", SegmentRole::dl_ext},
                                          {"dl-int", SegmentRole::dl_int},
                                          {"sync", SegmentRole::sync}};

struct VipSeen {
  IpAddr address;
  std::string path;
};

struct SegmentChecks {
  std::vector<std::pair<std::string, std::string>> names;  // name, path
  std::vector<std::pair<std::string, std::string>> roles;  // role, path
  std::vector<std::pair<std::string, std::string>> vrids;  // "iface/vrid", path
  std::vector<VipSeen> vips;
  std::size_t roles_read = 0;  // fewer than segments: "no segment with role X" is noise
};

const std::string* first_path(const std::vector<std::pair<std::string, std::string>>& seen,
                              std::string_view key) {
  for (const auto& [k, p] : seen)
    if (k == key) return &p;
  return nullptr;
}

void read_vips(MapReader& m, std::string_view key, Family family, bool v2, SegmentChecks& seen,
               std::vector<IpPrefix>& out) {
  Diagnostics& d = m.diag();
  auto f = m.get(key);
  if (!f) return;
  if (family == Family::ipv6 && v2 && !f->node.IsNull()) {
    d.add(f->at, f->path, "VRRP version 2 carries IPv4 only; use version 3 for IPv6");
    return;
  }
  auto items = read_list(d, *f);
  if (!items) return;
  for (const auto& item : *items) {
    auto p = read_parsed<IpPrefix>(d, item, parse_prefix);
    if (!p) continue;
    if (p->address.family != family) {
      d.add(
          item.at, item.path,
          fmt::format("{} is an {} address; list it under virtual_{}", p->to_string(),
                      vrrp::family_name(p->address.family), vrrp::family_name(p->address.family)));
      continue;
    }
    bool dup = false;
    for (const auto& v : seen.vips) {
      if (v.address != p->address) continue;
      d.add(item.at, item.path,
            fmt::format("{} is already given at {}", p->address.to_string(), v.path));
      dup = true;
      break;
    }
    if (dup) continue;
    seen.vips.push_back({p->address, item.path});
    out.push_back(*p);
  }
}

void read_segment(Diagnostics& d, const Field& item, bool v2, SegmentChecks& seen,
                  std::vector<SegmentConfig>& out) {
  MapReader m(d, item, {"name", "role", "interface", "vrid", "virtual_ipv4", "virtual_ipv6"});
  if (!m.is_map()) return;
  SegmentConfig s;
  if (auto f = m.get("name", Need::required)) {
    if (auto n = read_parsed<std::string>(d, *f, parse_name)) {
      if (const auto* p = first_path(seen.names, *n))
        d.add(f->at, f->path, fmt::format("'{}' is already used by {}", *n, *p));
      else
        seen.names.emplace_back(*n, item.path);
      s.name = *n;
    }
  }
  bool have_role = false;
  if (auto f = m.get("role", Need::required)) {
    if (auto r = read_choice<SegmentRole>(d, *f, kRoles)) {
      std::string role(role_name(*r));
      if (const auto* p = first_path(seen.roles, role))
        d.add(f->at, f->path, fmt::format("role '{}' is already taken by {}", role, *p));
      else
        seen.roles.emplace_back(role, item.path);
      s.role = *r;
      have_role = true;
      ++seen.roles_read;
    }
  }
  bool have_if = m.parsed("interface", s.interface, parse_ifname, Need::required);
  if (have_role && s.role == SegmentRole::sync) {
    for (std::string_view k : {"vrid", "virtual_ipv4", "virtual_ipv6"})
      if (auto f = m.get(k)) d.add(f->at, f->path, "not used on a sync segment (no VRRP there)");
    out.push_back(std::move(s));
    return;
  }
  if (auto f = m.get("vrid", Need::required)) {
    if (auto v = read_uint(d, *f, 1, 255)) {
      s.vrid = static_cast<std::uint8_t>(*v);
      std::string key = fmt::format("{}/{}", s.interface, *v);
      const auto* p = have_if ? first_path(seen.vrids, key) : nullptr;
      if (p)
        d.add(f->at, f->path,
              fmt::format("VRID {} is already used on interface {} by {}", *v, s.interface, *p));
      else if (have_if)
        seen.vrids.emplace_back(key, item.path);
    }
  }
  read_vips(m, "virtual_ipv4", Family::ipv4, v2, seen, s.virtual_ipv4);
  read_vips(m, "virtual_ipv6", Family::ipv6, v2, seen, s.virtual_ipv6);
  if (!m.get("virtual_ipv4") && !m.get("virtual_ipv6"))
    d.add(item.at, item.path, "needs virtual_ipv4 or virtual_ipv6 (the group's addresses here)");
  out.push_back(std::move(s));
}

}  // namespace

void read_segments(MapReader& top, OrchestratorConfig& c) {
  Diagnostics& d = top.diag();
  auto f = top.get("segments", Need::required);
  if (!f) return;
  auto items = read_list(d, *f);
  if (!items) return;
  bool v2 = c.vrrp.version == vrrp::Version::v2;
  SegmentChecks seen;
  for (const auto& item : *items) read_segment(d, item, v2, seen, c.segments);
  if (seen.roles_read < items->size()) return;
  for (auto role :
       {SegmentRole::ext, SegmentRole::int_, SegmentRole::dl_ext, SegmentRole::dl_int}) {
    if (!first_path(seen.roles, role_name(role)))
      d.add(f->at, f->path,
            fmt::format("no segment with role '{}' (ext, int, dl-ext and dl-int are needed)",
                        role_name(role)));
  }
}

}  // namespace baton::config::detail
