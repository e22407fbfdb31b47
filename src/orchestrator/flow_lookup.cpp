// batonctl flow: "where is this connection, and is it safe?" (docs/hypersync.md). batond
// answers from its table (bucket, owner, successor) and asks the owner and the successor over
// the control channel whether they hold the connection; their FLOW_REPLYs are collected for
// a follow-up request (flow-result), so the API never waits on the network.
#include <spdlog/spdlog.h>

#include "orchestrator/daemon_impl.hpp"
#include "sync/conn.hpp"

namespace baton::orchestrator {

using nlohmann::json;

namespace {

constexpr auto kQueryLifetime = std::chrono::seconds(30);
constexpr std::size_t kMaxQueries = 256;

const char* tcp_state_name(std::uint8_t s) {
  static constexpr const char* kNames[] = {"NONE",     "SYN_SENT",   "SYN_RECV", "ESTABLISHED",
                                           "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
                                           "CLOSE",    "SYN_SENT2"};
  return s < std::size(kNames) ? kNames[s] : "?";
}

}  // namespace

Result<json> DaemonImpl::flow_start(const FlowRequest& r) {
  const TimePoint now = loop_.clock().now();
  for (auto it = flow_queries_.begin(); it != flow_queries_.end();)
    it = now - it->second.started > kQueryLifetime ? flow_queries_.erase(it) : std::next(it);
  while (flow_queries_.size() >= kMaxQueries) flow_queries_.erase(flow_queries_.begin());

  const dist::Table& t = core_.table();
  if (t.generation() == 0) return err("no distribution table yet (no member has registered)");
  const std::uint32_t bucket =
      sync::bucket_of(r.key, cfg_.distribution.mode, cfg_.distribution.seed, t.size());
  const dist::MemberId owner = t.owner(bucket);
  const dist::MemberId successor = t.successors()[bucket];
  auto member_json = [&](dist::MemberId id) -> json {
    if (id == dist::kNoMember) return nullptr;
    const Member* m = core_.find_id(id);
    return json{{"id", id}, {"name", m ? m->name : std::to_string(id)}};
  };

  const std::uint32_t id = next_flow_query_++;
  FlowQueryState q;
  q.started = now;
  q.text = r.text;
  json asked = json::array(), not_asked = json::array();
  for (dist::MemberId m : {owner, successor}) {
    if (m == dist::kNoMember) continue;
    const Member* mem = core_.find_id(m);
    auto addr = agent_addr_.find(m);
    if (!mem || !mem->agent || addr == agent_addr_.end()) {
      not_asked.push_back(mem ? mem->name : std::to_string(m));
      continue;
    }
    auto s = control_->send(addr->second, mem->agent->node_id, mem->agent->epoch,
                            control::FlowQuery{id, r.text});
    if (!s) {
      not_asked.push_back(mem->name);
      spdlog::debug("flow query to {}: {}", mem->name, s.error().message);
      continue;
    }
    q.asked.push_back(m);
    asked.push_back(mem->name);
  }
  flow_queries_[id] = std::move(q);
  return json{{"query", id},
              {"connection", sync::to_string(r.key)},
              {"generation", t.generation()},
              {"bucket", bucket},
              {"owner", member_json(owner)},
              {"successor", member_json(successor)},
              {"asked", asked},
              {"not_asked", not_asked}};
}

Result<json> DaemonImpl::flow_result(std::uint32_t query) {
  auto it = flow_queries_.find(query);
  if (it == flow_queries_.end())
    return err("no flow query {} (queries are kept {} s)", query,
               std::chrono::duration_cast<std::chrono::seconds>(kQueryLifetime).count());
  const FlowQueryState& q = it->second;
  json members = json::array();
  bool complete = true;
  for (dist::MemberId m : q.asked) {
    const Member* mem = core_.find_id(m);
    json j{{"id", m}, {"name", mem ? mem->name : std::to_string(m)}};
    auto r = q.replies.find(m);
    if (r == q.replies.end()) {
      complete = false;
      j["answer"] = "none yet";
    } else {
      const control::FlowReply& f = r->second;
      j["generation"] = f.generation;
      switch (f.status) {
        case control::FlowStatus::held:
          j["answer"] = "held";
          j["timeout_s"] = f.timeout_s;
          j["backup"] = f.backup;
          if (f.tcp_state != 0) j["state"] = tcp_state_name(f.tcp_state);
          break;
        case control::FlowStatus::not_held: j["answer"] = "not held"; break;
        case control::FlowStatus::error:
          j["answer"] = "error";
          j["detail"] = f.detail;
          break;
      }
    }
    members.push_back(std::move(j));
  }
  return json{{"query", query}, {"connection", q.text}, {"complete", complete},
              {"members", members}};
}

void DaemonImpl::on_flow_reply(const control::Header& h, const control::FlowReply& r) {
  auto it = flow_queries_.find(r.query_id);
  const Member* m = core_.find_node(h.sender_id);
  if (it == flow_queries_.end() || m == nullptr) return;
  auto& asked = it->second.asked;
  if (std::find(asked.begin(), asked.end(), m->id) == asked.end()) return;
  it->second.replies[m->id] = r;
}

}  // namespace baton::orchestrator
