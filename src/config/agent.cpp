#include "config/agent.hpp"

#include "config/document.hpp"
#include "config/fields.hpp"
#include "core/log.hpp"

namespace baton::config {
namespace {

std::optional<IpAddr> read_unicast(Diagnostics& d, const Field& f) {
  auto ip = read_parsed<IpAddr>(d, f, parse_ip);
  if (ip && (ip->is_unspecified() || ip->is_multicast())) {
    d.add(f.at, f.path, fmt::format("{} is not a unicast address", ip->to_string()));
    return std::nullopt;
  }
  return ip;
}

void read_orchestrators(MapReader& top, AgentConfig& c) {
  Diagnostics& d = top.diag();
  auto f = top.get("orchestrators", Need::required);
  if (!f) return;
  auto items = read_list(d, *f);
  if (!items) return;
  if (items->empty() || items->size() > 2)
    d.add(f->at, f->path, fmt::format("lists one or two orchestrators, found {}", items->size()));
  std::vector<std::string> seen;  // paths, parallel to c.orchestrators
  for (const auto& item : *items) {
    MapReader m(d, item, {"address", "port"});
    if (!m.is_map()) continue;
    Endpoint e{IpAddr{}, kDefaultControlPort};
    auto a = m.get("address", Need::required);
    std::optional<IpAddr> ip = a ? read_unicast(d, *a) : std::nullopt;
    m.uint("port", e.port, 1, 65535);
    if (!ip) continue;
    e.address = *ip;
    bool dup = false;
    for (std::size_t i = 0; i < c.orchestrators.size() && !dup; ++i) {
      if (c.orchestrators[i] != e) continue;
      d.add(a->at, a->path, fmt::format("{} is already given at {}", e.to_string(), seen[i]));
      dup = true;
    }
    if (dup) continue;
    c.orchestrators.push_back(e);
    seen.push_back(item.path);
  }
}

void read_interfaces(MapReader& top, AgentConfig& c) {
  auto f = top.get("interfaces", Need::required);
  if (!f) return;
  MapReader m(top.diag(), *f, {"ext", "int"});
  bool ext = m.parsed("ext", c.interface_ext, parse_ifname, Need::required);
  auto in = m.get("int", Need::required);
  if (!in) return;
  if (auto name = read_parsed<std::string>(m.diag(), *in, parse_ifname)) {
    if (ext && *name == c.interface_ext)
      m.diag().add(in->at, in->path,
                   fmt::format("'{}' is also the ext interface; the sides need their own", *name));
    else
      c.interface_int = *name;
  }
}

void read_sync(MapReader& top, AgentConfig& c) {
  auto f = top.get("sync");
  if (!f) return;
  MapReader m(top.diag(), *f, {"interface", "address", "port"});
  if (!m.is_map()) return;
  AgentSync s;
  bool ok = m.parsed("interface", s.interface, parse_ifname, Need::required);
  auto a = m.get("address", Need::required);
  std::optional<IpAddr> ip = a ? read_unicast(m.diag(), *a) : std::nullopt;
  m.uint("port", s.port, 1, 65535);
  if (!ok || !ip) return;
  s.address = *ip;
  c.sync = s;
}

}  // namespace

Result<AgentConfig> parse_agent_config(std::string_view text, std::string_view name_for_messages) {
  Diagnostics d{std::string(name_for_messages)};
  auto doc = load_document(text, d);
  if (!doc) return d.to_error();
  Location root = location_of(doc->Mark());
  MapReader top(
      d, Field{*doc, root.line > 0 ? root : Location{1, 1}, ""},
      {"member", "orchestrators", "interfaces", "key_file", "state_dir", "socket", "sync",
       "log_level"});
  AgentConfig c;
  if (top.is_map()) {
    top.parsed("member", c.member, parse_name, Need::required);
    read_orchestrators(top, c);
    read_interfaces(top, c);
    top.parsed("key_file", c.key_file, parse_abs_path, Need::required);
    top.parsed("state_dir", c.state_dir, parse_abs_path);
    top.parsed("socket", c.socket, parse_abs_path);
    read_sync(top, c);
    top.parsed("log_level", c.log_level, log::parse_level);
  }
  if (!d.empty()) return d.to_error();
  return c;
}

Result<AgentConfig> load_agent_config(const std::string& path) {
  auto text = read_config_file(path);
  if (!text) return text.error();
  return parse_agent_config(*text, path);
}

}  // namespace baton::config
