// Event syntax: option lists and scenario files, and the errors that name where they came from.
#include "sim/scenario.hpp"

#include <gtest/gtest.h>

#include "sim/text.hpp"

namespace baton::sim {
namespace {

TEST(SimulatorText, ParseUintIsStrict) {
  EXPECT_EQ(*parse_uint("42", 0, 100), 42u);
  EXPECT_FALSE(parse_uint("", 0, 100));
  EXPECT_FALSE(parse_uint("-1", 0, 100));
  EXPECT_FALSE(parse_uint("+1", 0, 100));
  EXPECT_FALSE(parse_uint("1x", 0, 100));
  EXPECT_FALSE(parse_uint(" 1", 0, 100));
  EXPECT_FALSE(parse_uint("101", 0, 100));
  EXPECT_FALSE(parse_uint("99999999999999999999999", 0, UINT64_MAX));
  EXPECT_EQ(parse_uint("101", 0, 100).error().message, "101 is out of range 0..100");
}

TEST(SimulatorScenario, OptionListsParse) {
  auto f = parse_event_list(EventKind::fail, "1,2, 3", 1, "--fail 1,2, 3");
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->size(), 3u);
  EXPECT_EQ((*f)[2].member, 3);
  EXPECT_EQ((*f)[0].origin, "--fail 1,2, 3");

  auto a = parse_event_list(EventKind::add, "9,10:100", 7, "--add");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ((*a)[0].weight, 7u);  // the default weight
  EXPECT_EQ((*a)[1].member, 10);
  EXPECT_EQ((*a)[1].weight, 100u);

  auto w = parse_event_list(EventKind::weight, "2=200", 1, "--weight");
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ((*w)[0].member, 2);
  EXPECT_EQ((*w)[0].weight, 200u);
}

TEST(SimulatorScenario, OptionListErrorsNameTheOption) {
  struct Case {
    EventKind kind;
    const char* value;
    const char* expect;
  } cases[] = {
      {EventKind::fail, "0", "member id 0 is out of range 1..65534"},
      {EventKind::fail, "65535", "out of range"},
      {EventKind::fail, "x", "'x' is not a number"},
      {EventKind::fail, "1,,2", "empty item"},
      {EventKind::add, "9:513", "weight 513 is out of range 0..512"},
      {EventKind::weight, "2", "should be ID=WEIGHT"},
      {EventKind::weight, "2=", "weight empty value"},
  };
  for (const auto& c : cases) {
    auto r = parse_event_list(c.kind, c.value, 1, "--opt v");
    ASSERT_FALSE(r) << c.value;
    EXPECT_EQ(r.error().message.rfind("--opt v: ", 0), 0u) << r.error().message;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
  }
}

TEST(SimulatorScenario, FileSyntax) {
  auto r = parse_scenario(
      "# drill\n"
      "fail 3   # first\n"
      "\n"
      "add 9 100\n"
      "add 10:5\n"
      "add 11\n"
      "weight 2 200\n"
      "weight 4=0\n"
      "admin-down 5,6\n",
      "drill.txt", 2);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 8u);
  EXPECT_EQ((*r)[0].kind, EventKind::fail);
  EXPECT_EQ((*r)[0].origin, "drill.txt:2");
  EXPECT_EQ((*r)[1].weight, 100u);
  EXPECT_EQ((*r)[2].weight, 5u);
  EXPECT_EQ((*r)[3].weight, 2u);
  EXPECT_EQ((*r)[4].kind, EventKind::weight);
  EXPECT_EQ((*r)[4].weight, 200u);
  EXPECT_EQ((*r)[5].weight, 0u);
  EXPECT_EQ((*r)[7].kind, EventKind::admin_down);
  EXPECT_EQ((*r)[7].member, 6);
  EXPECT_EQ((*r)[7].origin, "drill.txt:9");
}

TEST(SimulatorScenario, FileErrorsNameTheLine) {
  auto bad_kind = parse_scenario("fail 1\nexplode 2\n", "s.txt", 1);
  ASSERT_FALSE(bad_kind);
  EXPECT_EQ(bad_kind.error().message.rfind("s.txt:2: unknown event 'explode'", 0), 0u)
      << bad_kind.error().message;
  auto extra = parse_scenario("fail 1 2\n", "s.txt", 1);
  ASSERT_FALSE(extra);
  EXPECT_NE(extra.error().message.find("s.txt:1: expected 'fail ID[,ID...]'"), std::string::npos)
      << extra.error().message;
  auto missing = parse_scenario("\n\nweight 3\n", "s.txt", 1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message.rfind("s.txt:3:", 0), 0u) << missing.error().message;
  auto no_file = load_scenario("/nonexistent/baton-sim-scenario", 1);
  ASSERT_FALSE(no_file);
  EXPECT_NE(no_file.error().message.find("--scenario /nonexistent/baton-sim-scenario: cannot open"),
            std::string::npos)
      << no_file.error().message;
}

TEST(SimulatorScenario, PlannedAndDescribed) {
  EXPECT_FALSE(is_planned(EventKind::fail));
  EXPECT_TRUE(is_planned(EventKind::admin_down));
  EXPECT_TRUE(is_planned(EventKind::add));
  EXPECT_TRUE(is_planned(EventKind::weight));
  EXPECT_EQ(describe({EventKind::weight, 2, 200, ""}), "weight 2=200");
  EXPECT_EQ(describe({EventKind::fail, 3, 0, ""}), "fail 3");
}

}  // namespace
}  // namespace baton::sim
