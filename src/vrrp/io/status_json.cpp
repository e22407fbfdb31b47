#include "vrrp/io/status_json.hpp"

#include <string>

namespace baton::vrrp::io {
namespace {

std::int64_t to_us(Duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

}  // namespace

nlohmann::json instance_status_json(const InstanceStatus& s) {
  const InstanceCounters& c = s.counters;
  nlohmann::json drops = nlohmann::json::object();
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    auto r = static_cast<DropReason>(i);
    if (c.drops[r] != 0) drops[std::string(drop_reason_name(r))] = c.drops[r];
  }
  return {
      {"name", s.name},
      {"segment", s.segment},
      {"family", std::string(family_name(s.family))},
      {"vrid", s.vrid},
      {"state", std::string(state_name(s.state))},
      {"priority", s.priority},
      {"resigned", s.resigned},
      {"primary", s.primary.to_string()},
      {"master", s.master ? s.master->to_string() : ""},
      {"master_down_interval_us", to_us(s.master_down_interval)},
      {"interface", s.interface},
      {"interface_up", s.interface_up},
      {"vmac", s.vmac},
      {"counters",
       {{"adverts_rx", c.adverts_rx},
        {"adverts_tx", c.adverts_tx},
        {"send_errors", c.send_errors},
        {"own", c.own},
        {"transitions", c.transitions},
        {"announcements", c.announcements},
        {"address_errors", c.address_errors},
        {"drops_total", c.drops.total()},
        {"drops", drops}}},
  };
}

nlohmann::json heartbeat_status_json(const HeartbeatStatus& h) {
  return {{"peer", std::string(peer_state_name(h.peer))},
          {"peer_serving", h.peer_serving},
          {"sent", h.stats.sent},
          {"received", h.stats.received},
          {"dropped", h.dropped},
          {"peer_down", h.stats.peer_down},
          {"peer_gone", h.stats.peer_gone},
          {"refused", h.stats.refused},
          {"stalls", h.stats.stalls},
          {"max_gap_us", to_us(h.stats.max_gap)}};
}

nlohmann::json service_status_json(const ServiceStatus& s) {
  nlohmann::json j = {{"group", s.group},
                      {"state", std::string(group_state_name(s.state))},
                      {"stopped", s.stopped},
                      {"instances", nlohmann::json::array()}};
  for (const auto& i : s.instances) j["instances"].push_back(instance_status_json(i));
  if (s.heartbeat) j["heartbeat"] = heartbeat_status_json(*s.heartbeat);
  return j;
}

}  // namespace baton::vrrp::io
