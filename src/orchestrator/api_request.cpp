#include "orchestrator/api_request.hpp"

#include "dist/table.hpp"
#include "sync/flow_text.hpp"

namespace baton::orchestrator {

using nlohmann::json;

namespace {

Result<std::string> text(const json& req, const char* name, bool required, std::size_t max) {
  auto it = req.find(name);
  if (it == req.end()) {
    if (required) return err("request field \"{}\" is missing", name);
    return std::string();
  }
  if (!it->is_string()) return err("request field \"{}\" must be a string", name);
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max) return err("request field \"{}\" is longer than {} bytes", name, max);
  if (s.find('\0') != std::string::npos) return err("request field \"{}\" contains a NUL byte", name);
  return s;
}

Result<bool> flag(const json& req, const char* name) {
  auto it = req.find(name);
  if (it == req.end()) return false;
  if (!it->is_boolean()) return err("request field \"{}\" must be true or false", name);
  return it->get<bool>();
}

}  // namespace

Result<ApiRequest> parse_api_request(const json& req) {
  if (!req.is_object()) return err("the request must be a JSON object");
  auto command = text(req, "command", true, kMaxApiNameBytes);
  if (!command) return command.error();
  if (*command == "show") {
    auto what = text(req, "what", true, kMaxApiNameBytes);
    if (!what) return what.error();
    if (*what == "status") return ApiRequest{ShowRequest{ShowWhat::status}};
    if (*what == "members") return ApiRequest{ShowRequest{ShowWhat::members}};
    if (*what == "distribution") return ApiRequest{ShowRequest{ShowWhat::distribution}};
    if (*what == "vrrp") return ApiRequest{ShowRequest{ShowWhat::vrrp}};
    return err("unknown \"what\" \"{}\" (status, members, distribution or vrrp)", *what);
  }
  if (*command == "member") {
    auto action = text(req, "action", true, kMaxApiNameBytes);
    if (!action) return action.error();
    if (*action != "down" && *action != "up" && *action != "add" && *action != "remove" &&
        *action != "weight")
      return err("unknown member action \"{}\" (down, up, add, remove or weight)", *action);
    auto name = text(req, "name", true, kMaxApiNameBytes);
    if (!name) return name.error();
    if (name->empty()) return err("request field \"name\" is empty");
    auto who = text(req, "who", false, kMaxApiNameBytes);
    if (!who) return who.error();
    auto reason = text(req, "reason", false, kMaxApiTextBytes);
    if (!reason) return reason.error();
    if (*action == "weight") {
      if (req.contains("persistent"))
        return err("request field \"persistent\" applies to down and up, not to weight");
      auto it = req.find("weight");
      if (it == req.end()) return err("request field \"weight\" is missing");
      bool ok = (it->is_number_unsigned() && it->get<std::uint64_t>() <= dist::kMaxWeight) ||
                (it->is_number_integer() && it->get<std::int64_t>() >= 0 &&
                 it->get<std::int64_t>() <= dist::kMaxWeight);
      if (!ok) return err("request field \"weight\" must be a whole number 0..{}", dist::kMaxWeight);
      if (reason->empty()) return err("a reason is required to change a weight (--reason)");
      return ApiRequest{WeightChangeRequest{std::move(*name),
                                            static_cast<std::uint32_t>(it->get<std::uint64_t>()),
                                            std::move(*who), std::move(*reason)}};
    }
    if (*action == "add" || *action == "remove") {
      if (req.contains("persistent"))
        return err("request field \"persistent\" applies to down and up, not to {}", *action);
      if (reason->empty())
        return err("a reason is required to {} a spare (--reason)",
                   *action == "add" ? "take into service" : "return to the pool");
      return ApiRequest{SpareRequest{std::move(*name), *action == "add", std::move(*who),
                                     std::move(*reason)}};
    }
    MemberRequest m;
    m.state = *action == "down" ? control::Admin::down : control::Admin::up;
    auto persistent = flag(req, "persistent");
    if (!persistent) return persistent.error();
    if (m.state == control::Admin::down && reason->empty())
      return err("a reason is required to take a member down (--reason)");
    m.name = std::move(*name);
    m.who = std::move(*who);
    m.reason = std::move(*reason);
    m.persistent = *persistent;
    return ApiRequest{std::move(m)};
  }
  if (*command == "failover") {
    auto who = text(req, "who", false, kMaxApiNameBytes);
    if (!who) return who.error();
    auto reason = text(req, "reason", false, kMaxApiTextBytes);
    if (!reason) return reason.error();
    return ApiRequest{FailoverRequest{std::move(*who), std::move(*reason)}};
  }
  if (*command == "flow") {
    auto flow = text(req, "flow", true, kMaxApiTextBytes);
    if (!flow) return flow.error();
    auto key = sync::parse_flow(*flow);
    if (!key) return err("request field \"flow\": {}", key.error().message);
    return ApiRequest{FlowRequest{std::move(*flow), *key}};
  }
  if (*command == "flow-result") {
    auto it = req.find("query");
    if (it == req.end()) return err("request field \"query\" is missing");
    bool ok = it->is_number_unsigned()
                  ? it->get<std::uint64_t>() >= 1 && it->get<std::uint64_t>() <= 0xFFFFFFFFu
                  : it->is_number_integer() && it->get<std::int64_t>() >= 1 &&
                        it->get<std::int64_t>() <= 0xFFFFFFFF;
    if (!ok) return err("request field \"query\" must be a query number (1..4294967295)");
    return ApiRequest{FlowResultRequest{static_cast<std::uint32_t>(it->get<std::uint64_t>())}};
  }
  return err("unknown command \"{}\" (show, member, failover, flow or flow-result)", *command);
}

}  // namespace baton::orchestrator
