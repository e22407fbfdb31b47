// What baton-vrrpd is asked to do: one VRRP instance on one interface, its virtual MAC, and
// the optional sync-link heartbeat: a one-instance ServiceOptions (service_options.hpp).
// Built from the command line (vrrpd_main.cpp); checked here so that every error names the
// option.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "vrrp/config.hpp"
#include "vrrp/io/heartbeat.hpp"
#include "vrrp/io/heartbeat_link.hpp"
#include "vrrp/io/netlink.hpp"
#include "vrrp/io/service_options.hpp"
#include "vrrp/io/sockaddr.hpp"

namespace baton::vrrp::io {

struct DaemonOptions {
  std::string interface;             // the segment's interface (parent of the macvlan)
  vrrp::Config vrrp;                 // primary is filled in from the interface if unset
  std::vector<IpPrefix> vips;        // with their prefix lengths, as added to the interface
  std::vector<IpAddr> unicast_peers; // empty: multicast to the VRRP group
  bool use_vmac = true;
  MacvlanMode vmac_mode = MacvlanMode::private_mode;
  std::string vmac_name;             // default "vrrp.<vrid>" (IPv6: "vrrp6.<vrid>")
  unsigned announce_count = 5;       // gratuitous ARPs / NAs per takeover
  Duration announce_gap = std::chrono::milliseconds(20);  // then doubling
  std::optional<HeartbeatOptions> heartbeat;
  std::string status_file;           // JSON status, rewritten on change; empty: none
  Duration status_period = std::chrono::milliseconds(200);
  bool realtime = false;             // SCHED_FIFO + mlockall
  std::string log_level = "info";
};

// "10ms", "1.5s", "250us"; a bare number is seconds (as keepalived's advert_int).
Result<Duration> parse_duration(std::string_view text);
// An advertisement interval: a multiple of 10 ms from 10 ms to 40.95 s, in centiseconds.
Result<std::uint16_t> parse_interval_cs(std::string_view text);
Result<MacvlanMode> parse_vmac_mode(std::string_view text);  // private | bridge
Result<ChecksumMode> parse_checksum_mode(std::string_view text);  // pseudo-header | message-only

// Fills defaults (vmac name, family of the VIPs, tracking of the interface) and checks the
// whole: the error names the offending option.
Status finish_options(DaemonOptions& o);

// The one-instance Service that baton-vrrpd runs (after finish_options).
ServiceOptions to_service_options(const DaemonOptions& o);

}  // namespace baton::vrrp::io
