// What a VRRP Service (service.hpp) runs: one VRRP instance per segment that has virtual
// addresses (ext, int, dl-ext, dl-int, ...), all bound in one sync group, plus the optional
// sync-link heartbeat. One instance carries one address family: a segment with IPv4 and
// IPv6 virtual addresses is two instances (same segment name, one per family).
//
// finish_service_options fills the defaults and checks the whole; every error names the
// instance (its segment) and the field.
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
#include "vrrp/io/sockaddr.hpp"

namespace baton::vrrp::io {

struct HeartbeatOptions {
  Endpoint local;
  Endpoint peer;
  HeartbeatConfig timing;
};

struct InstanceOptions {
  std::string segment;               // "ext", "int", ...: status and log lines; may repeat
                                     // across the two families of one segment
  std::string interface;             // the segment's interface (parent of the macvlan)
  // vrid, priority, interval, version, checksum, preempt, preempt_delay, tracks. Filled in by
  // finish: family and virtual_addresses (from vips), name (default: the segment, with
  // "-v6" appended for IPv6), primary (at create(): the interface's first address if unset),
  // and a weight-0 track of the interface itself (losing our link is a fault).
  vrrp::Config vrrp;
  std::vector<IpPrefix> vips;        // with their prefix lengths, as added to the interface
  std::vector<IpAddr> unicast_peers; // empty: multicast to the VRRP group
  bool use_vmac = true;
  MacvlanMode vmac_mode = MacvlanMode::private_mode;
  std::string vmac_name;             // default "vrrp.<vrid>" (IPv6: "vrrp6.<vrid>")
  unsigned announce_count = 5;       // gratuitous ARPs / NAs per takeover
  Duration announce_gap = std::chrono::milliseconds(20);  // then doubling
};

struct ServiceOptions {
  std::string group = "vrrp";  // the sync group's name, for logs
  std::vector<InstanceOptions> instances;
  std::optional<HeartbeatOptions> heartbeat;
};

// Fills one instance's defaults and checks it (idempotent); errors name the instance.
Status finish_instance_options(InstanceOptions& o);
Status check_heartbeat_options(const HeartbeatOptions& h);
// Every instance finished, then the whole: at least one instance, distinct names, distinct
// macvlan names, no two instances with one (interface, family, vrid).
Status finish_service_options(ServiceOptions& o);

}  // namespace baton::vrrp::io
