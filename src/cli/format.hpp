// batonctl's output: pure functions from batond's JSON results (docs/api.md) to text for
// people. Every field may be missing or of an unexpected type; such a cell prints "-" instead
// of failing, so an older or newer batond still gives a readable table.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace baton::cli {

// `show status`: "key: value" lines, keys aligned.
std::string format_status(const nlohmann::json& result);
// `show members`: one row per member (NAME ID STATE WEIGHT BUCKETS ADMIN LAST-HB CPU PPS
// CONNS GEN), then who set each admin-down member down, when and why.
std::string format_members(const nlohmann::json& result);
// `show distribution`: generations, mode, bucket count and seed, one row per member with
// its share of the buckets, then the failed members in failure order.
std::string format_distribution(const nlohmann::json& result);
// `show vrrp`: the sync group's state, one row per VRRP instance.
std::string format_vrrp(const nlohmann::json& result);
// Dispatches on what ("status", "members", "distribution", "vrrp"); any other word gives a
// line saying it is unknown, followed by the result as JSON.
std::string format_show(std::string_view what, const nlohmann::json& result);

// `member down|up NAME`: `request` is what was sent ({"action","name","persistent",...}),
// `result` what batond answered ({"name","changed","state","generation"}).
std::string format_member_change(const nlohmann::json& request, const nlohmann::json& result);
// `failover`: {"resigned":true}.
std::string format_failover(const nlohmann::json& result);

// `-o json`: the result as received, pretty, with a final newline.
std::string format_json(const nlohmann::json& result);
// batonctl flow: `start` is batond's answer to "flow", `result` to "flow-result".
std::string format_flow(const nlohmann::json& start, const nlohmann::json& result);

}  // namespace baton::cli
