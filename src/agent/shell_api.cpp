// The agent's local JSON API (docs/api.md, "baton-agent requests").
#include <ctime>

#include <spdlog/spdlog.h>

#include "agent/shell.hpp"
#include "sync/flow_text.hpp"

namespace baton::agent {
namespace {

using nlohmann::json;

std::string rfc3339(std::int64_t ms) {
  if (ms <= 0) return "";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json admin_of(const AdminRecord& r) {
  return {{"state", r.state.state == control::Admin::down ? "down" : "up"},
          {"persistent", r.state.persistent},
          {"who", r.state.who},
          {"reason", r.state.reason},
          {"since", rfc3339(r.since_ms)}};
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A string field of the request, or an error naming it.
Result<std::string> text_field(const json& req, const char* name, bool required) {
  auto it = req.find(name);
  if (it == req.end()) {
    if (required) return err("\"{}\" is missing", name);
    return std::string();
  }
  if (!it->is_string()) return err("\"{}\" must be a string", name);
  return it->get<std::string>();
}

}  // namespace

json Shell::admin_json() const {
  json a = admin_of(core_->admin());
  if (core_->persisted() && core_->admin().state.state == control::Admin::up)
    a["persisted"] = admin_of(*core_->persisted());  // applies again at the next start
  return a;
}

json Shell::status() const {
  json registered = json::array(), orchestrators = json::array();
  json member_id = nullptr;
  for (std::size_t i = 0; i < core_->orchestrators(); ++i) {
    const OrchestratorView& v = core_->orchestrator(i);
    if (v.registered) {
      registered.push_back(peers_[i]);
      if (member_id.is_null()) member_id = v.member_id;
    }
    orchestrators.push_back({{"address", peers_[i]},
                             {"registered", v.registered},
                             {"orchestrator_id", v.id},
                             {"member_id", v.registered ? json(v.member_id) : json(nullptr)},
                             {"heartbeat_us", v.heartbeat_us},
                             {"registers_sent", v.registers_sent},
                             {"heartbeats_sent", v.heartbeats_sent}});
  }
  const control::Load& l = core_->load();
  json drops = json::object();
  for (std::size_t r = 0; r < control::kDropReasonCount; ++r)
    if (auto n = receiver_->drops().by_reason[r])
      drops[std::string(control::drop_reason_name(static_cast<control::DropReason>(r)))] = n;
  return {{"member", config_->current().member},
          {"id", member_id},
          {"node_id", sender_->id()},
          {"registered", registered},
          {"orchestrators", orchestrators},
          {"admin", admin_json()},
          {"generation", core_->generation()},
          {"load",
           {{"cpu_permille", l.cpu_permille},
            {"packets_per_sec", l.packets_per_sec},
            {"bytes_per_sec", l.bytes_per_sec},
            {"conntrack_count", l.conntrack_count}}},
          {"drops", drops},
          {"send_errors", send_errors_},
          {"hypersync", hs_ ? hs_->status() : json(nullptr)}};
}

Result<json> Shell::admin_request(const json& req, const api::Caller& caller) {
  auto state = text_field(req, "state", true);
  if (!state) return state.error();
  if (*state != "down" && *state != "up")
    return err("\"state\" must be \"down\" or \"up\", not \"{}\"", *state);
  bool persistent = false;
  if (auto it = req.find("persistent"); it != req.end()) {
    if (!it->is_boolean()) return err("\"persistent\" must be true or false");
    persistent = it->get<bool>();
  }
  auto who = text_field(req, "who", false);
  if (!who) return who.error();
  auto reason = text_field(req, "reason", false);
  if (!reason) return reason.error();
  AdminRequest r{*state == "down" ? control::Admin::down : control::Admin::up, persistent,
                 who->empty() ? fmt::format("uid {}", caller.uid) : *who, *reason};
  spdlog::info("api: admin {}{} requested by {} (uid {}, pid {}){}", *state, persistent ? " -p" : "",
               r.who, caller.uid, caller.pid, reason->empty() ? "" : ": " + *reason);
  AdminOutcome outcome;
  Effects effects = core_->on_admin(r, now_ms(), outcome);
  std::string persist_error;
  apply(effects, &persist_error);
  rearm();
  if (!persist_error.empty())
    return err("the member is now admin {}, but the change could not be persisted and will not "
               "survive a restart: {}",
               *state, persist_error);
  return json{{"changed", outcome.changed}, {"admin", admin_json()}, {"summary", outcome.summary}};
}

Result<json> Shell::flow_request(const json& req) {
  auto text = text_field(req, "flow", true);
  if (!text) return text.error();
  auto key = sync::parse_flow(*text);
  if (!key) return err("\"flow\": {}", key.error().message);
  if (!hs_) return err("HyperSync is not configured on this member (no \"sync\" section)");
  return hs_->flow(*key);
}

Result<json> Shell::handle(const json& req, const api::Caller& caller) {
  if (!req.is_object()) return err("the request must be a JSON object");
  auto command = text_field(req, "command", true);
  if (!command) return command.error();
  if (*command == "show") {
    auto what = text_field(req, "what", true);
    if (!what) return what.error();
    if (*what == "status") return status();
    if (*what == "hypersync") {
      if (!hs_) return err("HyperSync is not configured on this member (no \"sync\" section)");
      return hs_->status();
    }
    return err("unknown \"what\" \"{}\" (baton-agent shows: status, hypersync)", *what);
  }
  if (*command == "admin") return admin_request(req, caller);
  if (*command == "flow") return flow_request(req);
  return err("unknown command \"{}\" (baton-agent takes: show, admin, flow)", *command);
}

}  // namespace baton::agent
