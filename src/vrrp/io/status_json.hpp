// A Service's status as JSON: the shape of baton-vrrpd's status file (one instance, flat) and
// of a multi-instance status (the group with an array of instances).
#pragma once

#include <nlohmann/json.hpp>

#include "vrrp/io/service.hpp"

namespace baton::vrrp::io {

// One instance: name, segment, vrid, state, priority, resigned, primary, master,
// master_down_interval_us, interface, interface_up, vmac, counters (adverts_rx, adverts_tx,
// send_errors, own, transitions, announcements, address_errors, drops_total, drops by reason
// name).
nlohmann::json instance_status_json(const InstanceStatus& s);
// peer, peer_serving, sent, received, dropped, peer_down, stalls, max_gap_us.
nlohmann::json heartbeat_status_json(const HeartbeatStatus& h);
// {"group", "state", "stopped", "instances": [...], "heartbeat"?}
nlohmann::json service_status_json(const ServiceStatus& s);

}  // namespace baton::vrrp::io
