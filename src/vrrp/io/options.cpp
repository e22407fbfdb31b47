#include "vrrp/io/options.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

namespace baton::vrrp::io {

Result<Duration> parse_duration(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || !std::isfinite(v) || v < 0)
    return err("'{}' is not a duration (examples: 10ms, 1.5s, 250us)", text);
  std::string_view unit(end);
  double ns = 0;
  if (unit.empty() || unit == "s") ns = v * 1e9;
  else if (unit == "ms") ns = v * 1e6;
  else if (unit == "us") ns = v * 1e3;
  else return err("'{}': unknown unit '{}' (s, ms, us)", text, unit);
  return Duration{static_cast<std::int64_t>(std::llround(ns))};
}

Result<std::uint16_t> parse_interval_cs(std::string_view text) {
  auto d = parse_duration(text);
  if (!d) return d.error();
  auto ns = d->count();
  constexpr std::int64_t kCs = 10'000'000;
  if (ns % kCs != 0 || ns < kCs || ns > 4095 * kCs)
    return err("advert interval '{}' must be a multiple of 10ms between 10ms and 40.95s", text);
  return static_cast<std::uint16_t>(ns / kCs);
}

Result<MacvlanMode> parse_vmac_mode(std::string_view text) {
  if (text == "private") return MacvlanMode::private_mode;
  if (text == "bridge") return MacvlanMode::bridge;
  return err("vmac mode '{}': expected private or bridge", text);
}

Result<ChecksumMode> parse_checksum_mode(std::string_view text) {
  if (text == "pseudo-header") return ChecksumMode::pseudo_header;
  if (text == "message-only") return ChecksumMode::message_only;
  return err("checksum '{}': expected pseudo-header or message-only", text);
}

Status finish_options(DaemonOptions& o) {
  if (o.interface.empty()) return err("--interface is required");
  if (o.vips.empty()) return err("at least one --vip is required");
  o.vrrp.family = o.vips.front().addr.family;
  for (const auto& p : o.vips) {
    if (p.addr.family != o.vrrp.family)
      return err("--vip {}: all virtual addresses must be of one family", p.to_string());
    o.vrrp.virtual_addresses.push_back(p.addr);
  }
  for (const auto& a : o.unicast_peers)
    if (a.family != o.vrrp.family)
      return err("--unicast-peer {}: not of the virtual addresses' family", a.to_string());
  if (o.vrrp.version == Version::v2 && o.vrrp.family == Family::ipv6)
    return err("--version 2 is IPv4 only");
  if (o.vrrp.version == Version::v2 && o.vrrp.adver_interval_cs % 100 != 0)
    return err("--advert-interval: VRRPv2 carries whole seconds");
  if (o.vrrp.name.empty() || o.vrrp.name == "vrrp") o.vrrp.name = "vrid" + std::to_string(o.vrrp.vrid);
  if (o.vmac_name.empty())
    o.vmac_name = (o.vrrp.family == Family::ipv4 ? "vrrp." : "vrrp6.") + std::to_string(o.vrrp.vrid);
  if (o.vmac_name.size() > 15) return err("--vmac-name '{}' is longer than 15 characters", o.vmac_name);
  if (o.announce_count == 0) return err("--garp-count must be at least 1");
  if (o.heartbeat) {
    if (o.heartbeat->timing.multiplier < 3) return err("--heartbeat-multiplier must be at least 3");
    if (o.heartbeat->timing.interval < std::chrono::milliseconds(1))
      return err("--heartbeat-interval must be at least 1ms");
  }
  // Losing our own link is a fault: we can neither advertise nor serve.
  o.vrrp.tracks.push_back(TrackConfig{o.interface, TrackKind::interface, 0});
  return {};
}

}  // namespace baton::vrrp::io

namespace baton::vrrp::io {

ServiceOptions to_service_options(const DaemonOptions& o) {
  ServiceOptions s;
  s.group = o.vrrp.name;
  InstanceOptions i;
  i.segment = o.vrrp.name;
  i.interface = o.interface;
  i.vrrp = o.vrrp;
  i.vips = o.vips;
  i.unicast_peers = o.unicast_peers;
  i.use_vmac = o.use_vmac;
  i.vmac_mode = o.vmac_mode;
  i.vmac_name = o.vmac_name;
  i.announce_count = o.announce_count;
  i.announce_gap = o.announce_gap;
  s.instances.push_back(std::move(i));
  s.heartbeat = o.heartbeat;
  return s;
}

}  // namespace baton::vrrp::io
