// baton-vrrpd: one VRRP instance (VRRPv3/v2, IPv4/IPv6) with a virtual MAC and an optional
// sync-link heartbeat, on its own, so it can be run, tested and benchmarked.

// GCC 12 reports a false "potential null pointer dereference" inside CLI11's option parsing.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <sys/mman.h>
#include <sched.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "vrrp/io/daemon.hpp"
#include "vrrp/io/options.hpp"

using namespace baton;
using namespace baton::vrrp;
using namespace baton::vrrp::io;

namespace {

// Applies a parser to an option's text, turning its error into the CLI's error.
template <typename T, typename Parse>
T parsed(const std::string& option, const std::string& text, Parse parse) {
  auto r = parse(text);
  if (!r) throw CLI::ValidationError(option, r.error().message);
  return *r;
}

Status go_realtime() {
  sched_param sp{};
  sp.sched_priority = 50;
  if (::sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
    return err("--realtime: SCHED_FIFO: {}", std::strerror(errno));
  if (::mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
    return err("--realtime: mlockall: {}", std::strerror(errno));
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "baton-vrrpd: one VRRP virtual router (RFC 5798 VRRPv3, or VRRPv2 for keepalived's\n"
      "default) with a virtual MAC (macvlan, as keepalived's use_vmac) and an optional\n"
      "BFD-style heartbeat to the peer over a sync link for takeover faster than master-down.\n\n"
      "Signals: SIGTERM/SIGINT resign (priority 0) and exit once the new master is heard;\n"
      "SIGUSR1 planned switchover (resign, stay backup); SIGUSR2 withdraw the resignation.\n\n"
      "Example:\n"
      "  baton-vrrpd -i eth0 --vrid 51 --priority 150 --advert-interval 10ms \\\n"
      "      --vip 192.0.2.100/24 --heartbeat-local 198.51.100.1:7405 \\\n"
      "      --heartbeat-peer 198.51.100.2:7405 --status-file /run/baton-vrrpd.json"};
  app.option_defaults()->always_capture_default();
  DaemonOptions o;
  std::string interval = "1s", version = "3", checksum = "pseudo-header", vmac_mode = "private";
  std::string preempt_delay = "0", source, announce_gap = "20ms";
  std::vector<std::string> vips, peers;
  std::string hb_local, hb_peer, hb_interval = "1ms";
  unsigned hb_mult = 3, vrid = 1, priority = 100;
  bool no_vmac = false, no_preempt = false;

  app.add_option("-i,--interface", o.interface, "Interface on the segment (required)")->required();
  app.add_option("--vrid", vrid, "Virtual router id, 1-255")->check(CLI::Range(1, 255));
  app.add_option("--priority", priority, "1-255; 255 = address owner")->check(CLI::Range(1, 255));
  app.add_option("--advert-interval", interval,
                 "Advertisement interval: 10ms..40.95s in steps of 10ms (v2: whole seconds)");
  app.add_option("--vip", vips, "Virtual address[/prefix] (repeatable, at least one)")->required();
  app.add_option("--version", version, "VRRP version: 3 or 2 (2 = keepalived's default)")
      ->check(CLI::IsMember({"2", "3"}));
  app.add_option("--checksum", checksum,
                 "IPv4 VRRPv3 checksum to send: pseudo-header (RFC 5798) or message-only; both "
                 "are accepted");
  app.add_option("--source", source, "Our primary address (default: the interface's first)");
  app.add_option("--unicast-peer", peers, "Send adverts to this address instead of the group "
                                          "(repeatable)");
  app.add_flag("--no-preempt", no_preempt, "A higher priority does not take over a live master");
  app.add_option("--preempt-delay", preempt_delay, "No preemption for this long after start");
  app.add_flag("--no-vmac", no_vmac, "Keep the interface's own MAC (no macvlan)");
  app.add_option("--vmac-mode", vmac_mode, "macvlan mode: private or bridge");
  app.add_option("--vmac-name", o.vmac_name,
                 "macvlan name (default vrrp.<vrid>; IPv6 vrrp6.<vrid>)");
  app.add_option("--garp-count", o.announce_count, "Gratuitous ARPs / NAs per takeover");
  app.add_option("--garp-gap", announce_gap, "Gap after the first; doubles each time");
  app.add_option("--heartbeat-local", hb_local, "Sync-link heartbeat: our address:port");
  app.add_option("--heartbeat-peer", hb_peer, "Sync-link heartbeat: the peer's address:port");
  app.add_option("--heartbeat-interval", hb_interval, "Heartbeat interval, 1ms or more");
  app.add_option("--heartbeat-multiplier", hb_mult, "Missed heartbeats before the peer is dead (>= 3)");
  app.add_option("--status-file", o.status_file, "Write JSON status here on every change");
  std::string status_period = "200ms";
  app.add_option("--status-period", status_period, "Rewrite the status file this often too");
  app.add_flag("--realtime", o.realtime, "Run SCHED_FIFO and mlockall (guards against stalls)");
  app.add_option("--name", o.vrrp.name, "Instance name for logs (default vrid<N>)");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error or off");

  try {
    app.parse(argc, argv);
    o.vrrp.vrid = static_cast<std::uint8_t>(vrid);
    o.vrrp.priority = static_cast<std::uint8_t>(priority);
    o.vrrp.version = version == "2" ? Version::v2 : Version::v3;
    o.vrrp.adver_interval_cs = parsed<std::uint16_t>("--advert-interval", interval, parse_interval_cs);
    o.vrrp.checksum = parsed<ChecksumMode>("--checksum", checksum, parse_checksum_mode);
    o.vrrp.preempt = !no_preempt;
    o.vrrp.preempt_delay = parsed<Duration>("--preempt-delay", preempt_delay, parse_duration);
    o.use_vmac = !no_vmac;
    o.status_period = parsed<Duration>("--status-period", status_period, parse_duration);
    o.vmac_mode = parsed<MacvlanMode>("--vmac-mode", vmac_mode, parse_vmac_mode);
    o.announce_gap = parsed<Duration>("--garp-gap", announce_gap, parse_duration);
    for (const auto& v : vips) o.vips.push_back(parsed<IpPrefix>("--vip", v, IpPrefix::parse));
    for (const auto& p : peers)
      o.unicast_peers.push_back(parsed<IpAddr>("--unicast-peer", p, IpAddr::parse));
    if (!source.empty()) o.vrrp.primary = parsed<IpAddr>("--source", source, IpAddr::parse);
    if (hb_local.empty() != hb_peer.empty())
      throw CLI::ValidationError("--heartbeat-local/--heartbeat-peer", "give both or neither");
    if (!hb_local.empty()) {
      HeartbeatOptions h;
      h.local = parsed<Endpoint>("--heartbeat-local", hb_local, Endpoint::parse);
      h.peer = parsed<Endpoint>("--heartbeat-peer", hb_peer, Endpoint::parse);
      h.timing.interval = parsed<Duration>("--heartbeat-interval", hb_interval, parse_duration);
      h.timing.multiplier = static_cast<std::uint8_t>(std::min(hb_mult, 255u));
      o.heartbeat = h;
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (auto s = finish_options(o); !s) {
    std::cerr << "baton-vrrpd: " << s.error().message << "\n";
    return 2;
  }
  if (auto s = log::setup("baton-vrrpd", o.log_level); !s) {
    std::cerr << "baton-vrrpd: " << s.error().message << "\n";
    return 2;
  }
  if (o.realtime) {
    if (auto s = go_realtime(); !s) {
      spdlog::error("{}", s.error().message);
      return 1;
    }
  }
  auto d = Daemon::create(std::move(o));
  if (!d) {
    spdlog::error("cannot start: {}", d.error().message);
    return 1;
  }
  if (auto s = (*d)->run(); !s) {
    spdlog::error("{}", s.error().message);
    return 1;
  }
  return 0;
}
