// batond's local API (docs/api.md): requests in, JSON out. Every error names what was wrong.
#include <spdlog/spdlog.h>

#include "dist/flow.hpp"
#include "orchestrator/api_request.hpp"
#include "orchestrator/daemon_impl.hpp"

namespace baton::orchestrator {

using nlohmann::json;

namespace {

std::int64_t ms_since(TimePoint now, TimePoint then) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - then).count();
}

std::string mac_text(const std::optional<Mac>& m) {
  if (!m) return "";
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (*m)[0], (*m)[1], (*m)[2],
                     (*m)[3], (*m)[4], (*m)[5]);
}

}  // namespace

// An operator's member change (down/up, add/remove, weight) as GroupCore decided it: carry
// out its effects and answer with the member's state and the generation it leads to.
Result<json> DaemonImpl::member_change(Result<std::pair<AdminOutcome, Effects>> out,
                                       const std::string& name) {
  if (!out) return out.error();
  auto [outcome, fx] = std::move(*out);
  apply(std::move(fx));
  return json{{"name", name},
              {"changed", outcome.changed},
              {"state", member_state_name(outcome.state)},
              {"generation", outcome.generation}};
}

Result<json> DaemonImpl::handle_api(const json& raw, const api::Caller& caller) {
  auto parsed = parse_api_request(raw);
  if (!parsed) return parsed.error();
  if (const auto* show = std::get_if<ShowRequest>(&*parsed)) {
    switch (show->what) {
      case ShowWhat::status: return show_status(loop_.clock().now());
      case ShowWhat::members: return show_members(loop_.clock().now());
      case ShowWhat::distribution: return show_distribution();
      case ShowWhat::vrrp: return show_vrrp();
    }
  }
  if (const auto* m = std::get_if<MemberRequest>(&*parsed)) {
    AdminRequest a;
    a.name = m->name;
    a.state = m->state;
    a.persistent = m->persistent;
    a.who = m->who;
    a.reason = m->reason;
    a.caller = fmt::format("uid {} pid {}", caller.uid, caller.pid);
    return member_change(core_.admin(loop_.clock().now(), a), a.name);
  }
  if (const auto* sp = std::get_if<SpareRequest>(&*parsed)) {
    PoolRequest p{sp->name, sp->add ? PoolAction::add : PoolAction::remove, sp->who, sp->reason,
                  fmt::format("uid {} pid {}", caller.uid, caller.pid)};
    return member_change(core_.pool(loop_.clock().now(), p), p.name);
  }
  if (const auto* wr = std::get_if<WeightChangeRequest>(&*parsed)) {
    WeightRequest w{wr->name, wr->weight, wr->who, wr->reason,
                    fmt::format("uid {} pid {}", caller.uid, caller.pid)};
    auto answer = member_change(core_.set_weight(loop_.clock().now(), w), w.name);
    if (answer) (*answer)["weight"] = w.weight;
    return answer;
  }
  if (const auto* fl = std::get_if<FlowRequest>(&*parsed)) return flow_start(*fl);
  if (const auto* fr = std::get_if<FlowResultRequest>(&*parsed)) return flow_result(fr->query);
  const auto& f = std::get<FailoverRequest>(*parsed);
  if (core_.role() != Role::active || vrrp_->state() != vrrp::GroupState::master)
    return err("this orchestrator ({}) is not the active one; run failover on the active",
               cfg_.self.name);
  if (!cfg_.peer) return err("no peer orchestrator is configured: nobody to fail over to");
  write_audit(fmt::format("who={} caller=\"uid {} pid {}\" action=failover reason=\"{}\" "
                          "from={} generation={}",
                          f.who.empty() ? "unknown" : f.who, caller.uid, caller.pid, f.reason,
                          cfg_.self.name, core_.table().generation()));
  vrrp_->resign();
  // Resigned for this switchover only: ready to take over again if the peer fails later.
  loop_.clock().arm(loop_.clock().now() + std::chrono::seconds(2), [this] { vrrp_->unresign(); });
  return json{{"resigned", true}};
}

json DaemonImpl::show_status(TimePoint now) const {
  json counts = {{"total", 0}, {"active", 0}, {"failed", 0}, {"down", 0}, {"spare", 0},
                 {"unregistered", 0}};
  for (const auto& m : core_.members()) {
    counts["total"] = counts["total"].get<int>() + 1;
    auto n = std::string(member_state_name(m.state));
    counts[n] = counts[n].get<int>() + 1;
  }
  std::string peer = !peer_ ? "none" : peer_present(now) ? "up" : "down";
  // A planned change being prepared: ours (active), or the active peer's (standby).
  json preparing = nullptr;
  const auto& pend = core_.pending() ? core_.pending() : core_.peer_pending();
  if (pend) {
    json waiting = json::array();
    for (auto id : pend->waiting)
      if (const Member* m = core_.find_id(id)) waiting.push_back(m->name);
    preparing = {{"generation", pend->table.generation()},
                 {"why", pend->why},
                 {"by", core_.pending() ? "us" : "the active peer"},
                 {"since_ms", ms_since(now, pend->started)},
                 {"waiting_for", waiting}};
  }
  return json{{"group", cfg_.group},
              {"orchestrator", {{"id", cfg_.self.id}, {"name", cfg_.self.name}}},
              {"role", role_name(core_.role())},
              {"generation", core_.table().generation()},
              {"preparing", preparing},
              {"members", counts},
              {"peer", {{"state", peer}}},
              {"vrrp_state", vrrp::group_state_name(vrrp_->state())},
              {"uptime_s", ms_since(now, started_) / 1000}};
}

json DaemonImpl::show_members(TimePoint now) const {
  auto counts = core_.table().counts();
  json list = json::array();
  for (const auto& m : core_.members()) {
    const auto& a = m.effective_admin();
    json j = {{"name", m.name},
              {"id", m.id},
              {"state", member_state_name(m.state)},
              {"state_reason", m.state_reason},
              {"weight", m.weight},
              {"spare", m.spare},
              {"buckets", m.id < counts.size() ? counts[m.id] : 0},
              {"admin",
               {{"state", a.state == control::Admin::down ? "down" : "up"},
                {"persistent", a.persistent},
                {"who", a.who},
                {"reason", a.reason},
                {"since_ms", ms_since(now, a.since)},
                {"confirmed", !m.requested.has_value()}}},
              {"generation", m.agent_generation},
              {"mac", {{"ext", mac_text(m.mac[0])}, {"int", mac_text(m.mac[1])}}},
              {"load",
               {{"cpu_permille", m.load.cpu_permille},
                {"packets_per_sec", m.load.packets_per_sec},
                {"bytes_per_sec", m.load.bytes_per_sec},
                {"conntrack_count", m.load.conntrack_count}}}};
    j["last_heartbeat_ms"] = m.last_heartbeat ? json(ms_since(now, *m.last_heartbeat)) : json(nullptr);
    j["agent"] = m.agent ? json(m.agent->address) : json(nullptr);
    list.push_back(std::move(j));
  }
  return json{{"members", list}};
}

json DaemonImpl::show_distribution() const {
  const auto& t = core_.table();
  auto counts = t.counts();
  json members = json::array();
  for (const auto& m : core_.members()) {
    if (m.spare) continue;
    members.push_back({{"name", m.name},
                       {"id", m.id},
                       {"weight", m.weight},
                       {"buckets", m.id < counts.size() ? counts[m.id] : 0}});
  }
  json failed = json::array();
  for (auto id : core_.removed()) {
    const Member* m = core_.find_id(id);
    failed.push_back(m ? m->name : std::to_string(id));
  }
  auto live = datapath_->maps().live_generation();
  return json{{"generation", t.generation()},
              {"live_generation", live ? json(*live) : json(nullptr)},
              {"mode", dist::mode_name(cfg_.distribution.mode)},
              {"buckets", t.size()},
              {"seed", cfg_.distribution.seed},
              {"members", members},
              {"failed", failed}};
}

json DaemonImpl::show_vrrp() const {
  auto st = vrrp_->status();
  json list = json::array();
  for (const auto& i : st.instances) {
    list.push_back({{"segment", i.segment},
                    {"interface", i.interface},
                    {"vrid", i.vrid},
                    {"family", vrrp::family_name(i.family)},
                    {"state", vrrp::state_name(i.state)},
                    {"priority", i.priority},
                    {"master", i.master ? i.master->to_string() : ""},
                    {"adverts_rx", i.counters.adverts_rx},
                    {"adverts_tx", i.counters.adverts_tx}});
  }
  json out{{"sync_group", st.group}, {"state", vrrp::group_state_name(st.state)}, {"instances", list}};
  if (st.heartbeat) out["peer_heartbeat"] = vrrp::io::peer_state_name(st.heartbeat->peer);
  return out;
}

}  // namespace baton::orchestrator
