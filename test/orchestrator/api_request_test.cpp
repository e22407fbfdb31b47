#include "orchestrator/api_request.hpp"

#include <gtest/gtest.h>

namespace baton::orchestrator {
namespace {

using nlohmann::json;

std::string error_of(const json& j) {
  auto r = parse_api_request(j);
  return r ? "" : r.error().message;
}

TEST(ApiRequest, ShowsParse) {
  for (auto [what, want] : {std::pair{"status", ShowWhat::status}, {"members", ShowWhat::members},
                            {"distribution", ShowWhat::distribution}, {"vrrp", ShowWhat::vrrp}}) {
    auto r = parse_api_request(json{{"command", "show"}, {"what", what}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(std::get<ShowRequest>(*r).what, want);
  }
}

TEST(ApiRequest, MemberDownCarriesEverything) {
  auto r = parse_api_request(json{{"command", "member"}, {"action", "down"}, {"name", "gw2"},
                                  {"persistent", true}, {"who", "alice"}, {"reason", "patching"}});
  ASSERT_TRUE(r) << r.error().message;
  const auto& m = std::get<MemberRequest>(*r);
  EXPECT_EQ(m.name, "gw2");
  EXPECT_EQ(m.state, control::Admin::down);
  EXPECT_TRUE(m.persistent);
  EXPECT_EQ(m.who, "alice");
  EXPECT_EQ(m.reason, "patching");
  auto up = parse_api_request(json{{"command", "member"}, {"action", "up"}, {"name", "gw2"}});
  ASSERT_TRUE(up);
  EXPECT_FALSE(std::get<MemberRequest>(*up).persistent);
}

TEST(ApiRequest, SpareAddAndRemove) {
  auto r = parse_api_request(json{{"command", "member"}, {"action", "add"}, {"name", "gw5"},
                                  {"who", "alice"}, {"reason", "evening peak"}});
  ASSERT_TRUE(r) << r.error().message;
  const auto& a = std::get<SpareRequest>(*r);
  EXPECT_EQ(a.name, "gw5");
  EXPECT_TRUE(a.add);
  EXPECT_EQ(a.who, "alice");
  EXPECT_EQ(a.reason, "evening peak");
  auto rm = parse_api_request(json{{"command", "member"}, {"action", "remove"}, {"name", "gw5"},
                                   {"reason", "peak over"}});
  ASSERT_TRUE(rm) << rm.error().message;
  EXPECT_FALSE(std::get<SpareRequest>(*rm).add);
}

TEST(ApiRequest, MemberWeight) {
  auto r = parse_api_request(json{{"command", "member"}, {"action", "weight"}, {"name", "gw2"},
                                  {"weight", 0}, {"who", "bob"}, {"reason", "drain slowly"}});
  ASSERT_TRUE(r) << r.error().message;
  const auto& w = std::get<WeightChangeRequest>(*r);
  EXPECT_EQ(w.name, "gw2");
  EXPECT_EQ(w.weight, 0u);
  EXPECT_EQ(w.who, "bob");
}

TEST(ApiRequest, FlowAndItsResult) {
  auto r = parse_api_request(json{{"command", "flow"}, {"flow", "tcp 10.0.1.10:40000 203.0.113.10:7007"}});
  ASSERT_TRUE(r) << r.error().message;
  const auto& f = std::get<FlowRequest>(*r);
  EXPECT_EQ(f.key.orig.sport, 40000);
  EXPECT_EQ(f.key.orig.dport, 7007);
  EXPECT_EQ(error_of(json{{"command", "flow"}, {"flow", "tcp 10.0.1.10 203.0.113.10:7007"}}),
            "request field \"flow\": source \"10.0.1.10\" needs a port (address:port, [v6]:port)");
  EXPECT_EQ(error_of(json{{"command", "flow"}}), "request field \"flow\" is missing");
  auto q = parse_api_request(json{{"command", "flow-result"}, {"query", 7}});
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(std::get<FlowResultRequest>(*q).query, 7u);
  for (json bad : {json(0), json(-1), json("7"), json(5000000000ULL)})
    EXPECT_EQ(error_of(json{{"command", "flow-result"}, {"query", bad}}),
              "request field \"query\" must be a query number (1..4294967295)");
}

TEST(ApiRequest, ErrorsNameTheField) {
  EXPECT_EQ(error_of(json::array()), "the request must be a JSON object");
  EXPECT_EQ(error_of(json::object()), "request field \"command\" is missing");
  EXPECT_EQ(error_of(json{{"command", 3}}), "request field \"command\" must be a string");
  EXPECT_EQ(error_of(json{{"command", "shw"}}), "unknown command \"shw\" (show, member, failover, flow or flow-result)");
  EXPECT_EQ(error_of(json{{"command", "show"}}), "request field \"what\" is missing");
  EXPECT_EQ(error_of(json{{"command", "show"}, {"what", "flows"}}),
            "unknown \"what\" \"flows\" (status, members, distribution or vrrp)");
  EXPECT_EQ(error_of(json{{"command", "member"}, {"action", "drain"}, {"name", "gw1"}}),
            "unknown member action \"drain\" (down, up, add, remove or weight)");
  EXPECT_EQ(error_of(json{{"command", "member"}, {"action", "weight"}, {"name", "gw2"}, {"reason", "x"}}),
            "request field \"weight\" is missing");
  for (json bad : {json(513), json(-1), json("50"), json(1.5)})
    EXPECT_EQ(error_of(json{{"command", "member"}, {"action", "weight"}, {"name", "gw2"},
                            {"weight", bad}, {"reason", "x"}}),
              "request field \"weight\" must be a whole number 0..512");
  EXPECT_EQ(error_of(json{{"command", "member"}, {"action", "weight"}, {"name", "gw2"}, {"weight", 5}}),
            "a reason is required to change a weight (--reason)");
  EXPECT_EQ(error_of(json{{"command", "member"}, {"action", "add"}, {"name", "gw5"}}),
            "a reason is required to take into service a spare (--reason)");
  EXPECT_EQ(error_of(json{{"command", "member"}, {"action", "remove"}, {"name", "gw5"}}),
            "a reason is required to return to the pool a spare (--reason)");
  EXPECT_EQ(error_of(json{{"command", "member"}, {"action", "add"}, {"name", "gw5"},
                          {"reason", "x"}, {"persistent", true}}),
            "request field \"persistent\" applies to down and up, not to add");
  EXPECT_EQ(error_of(json{{"command", "member"}, {"action", "down"}, {"name", "gw1"}}),
            "a reason is required to take a member down (--reason)");
  EXPECT_EQ(error_of(json{{"command", "member"}, {"action", "up"}, {"name", ""}}),
            "request field \"name\" is empty");
  EXPECT_EQ(error_of(json{{"command", "member"}, {"action", "up"}, {"name", "gw1"}, {"persistent", "yes"}}),
            "request field \"persistent\" must be true or false");
  EXPECT_EQ(error_of(json{{"command", "failover"}, {"reason", std::string(300, 'x')}}),
            "request field \"reason\" is longer than 256 bytes");
  EXPECT_EQ(error_of(json{{"command", "failover"}, {"who", std::string("a\0b", 3)}}),
            "request field \"who\" contains a NUL byte");
}

}  // namespace
}  // namespace baton::orchestrator
