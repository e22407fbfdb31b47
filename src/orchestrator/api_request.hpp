// batond's API requests (docs/api.md), parsed from the JSON a client sent into a typed value.
// Pure: the handler (api_handler.cpp) acts on what this returns. Every error names the field.
#pragma once

#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "control/messages.hpp"
#include "core/result.hpp"
#include "sync/conn.hpp"

namespace baton::orchestrator {

enum class ShowWhat : std::uint8_t { status, members, distribution, vrrp };

struct ShowRequest {
  ShowWhat what = ShowWhat::status;
};

struct MemberRequest {
  std::string name;
  control::Admin state = control::Admin::down;
  bool persistent = false;
  std::string who;
  std::string reason;
};

// batonctl member add|remove: a spare into service or back to the pool.
struct SpareRequest {
  std::string name;
  bool add = true;
  std::string who;
  std::string reason;
};

// batonctl member weight NAME W.
struct WeightChangeRequest {
  std::string name;
  std::uint32_t weight = 0;
  std::string who;
  std::string reason;
};

struct FailoverRequest {
  std::string who;
  std::string reason;
};

// batonctl flow, step 1: where is this connection (bucket, owner, successor)? batond also asks
// the owner and the successor whether they hold it (FLOW_QUERY).
struct FlowRequest {
  std::string text;  // as given, for the answer
  sync::ConnKey key;
};

// Step 2: what the members answered so far.
struct FlowResultRequest {
  std::uint32_t query = 0;
};

using ApiRequest = std::variant<ShowRequest, MemberRequest, SpareRequest, WeightChangeRequest,
                                FailoverRequest, FlowRequest, FlowResultRequest>;

// Limits on free text (longer is an error, not a silent cut).
inline constexpr std::size_t kMaxApiNameBytes = 64;
inline constexpr std::size_t kMaxApiTextBytes = 256;

Result<ApiRequest> parse_api_request(const nlohmann::json& request);

}  // namespace baton::orchestrator
