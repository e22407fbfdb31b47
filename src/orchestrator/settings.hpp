// From batond.yaml to what the core and the VRRP service are given.
#pragma once

#include "config/orchestrator.hpp"
#include "orchestrator/group.hpp"
#include "vrrp/io/service_options.hpp"

namespace baton::orchestrator {

GroupSettings group_settings(const config::OrchestratorConfig& c);

// One VRRP instance per segment and address family that has virtual addresses, all in one
// sync group; the sync-link heartbeat with the peer when there is a peer and a sync segment
// with an address (`sync_local` is that address; empty: no heartbeat).
Result<vrrp::io::ServiceOptions> vrrp_options(const config::OrchestratorConfig& c,
                                              std::optional<vrrp::IpAddr> sync_local);

// The UDP port of the sync-link heartbeat: the peer channel's port + 2 (7703 by default).
inline std::uint16_t heartbeat_port(const config::OrchestratorConfig& c) {
  return static_cast<std::uint16_t>((c.peer ? c.peer->port : config::kDefaultPeerPort) + 2);
}

}  // namespace baton::orchestrator
