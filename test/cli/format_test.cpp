// batonctl's formatting: every `show` view against a fixture (fixtures/show_*.json in,
// fixtures/show_*.txt the exact expected text), missing and mistyped fields as "-", and the
// unit helpers.
#include "cli/format.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "cli/format_util.hpp"

namespace baton::cli {
namespace {

using nlohmann::json;

std::string read_fixture(const std::string& name) {
  std::ifstream f(std::string(BATON_CLI_FIXTURES) + "/" + name);
  if (!f) ADD_FAILURE() << "cannot open fixture " << name;
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

json json_fixture(const std::string& name) { return json::parse(read_fixture(name)); }

struct ShowCase {
  const char* what;
  const char* input;
  const char* expected;
};

void PrintTo(const ShowCase& c, std::ostream* os) { *os << c.what << " " << c.input; }

class CliFormatShow : public ::testing::TestWithParam<ShowCase> {};

TEST_P(CliFormatShow, MatchesFixture) {
  const auto& c = GetParam();
  EXPECT_EQ(format_show(c.what, json_fixture(c.input)), read_fixture(c.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, CliFormatShow,
    ::testing::Values(ShowCase{"status", "show_status.json", "show_status.txt"},
                      ShowCase{"members", "show_members.json", "show_members.txt"},
                      ShowCase{"distribution", "show_distribution.json", "show_distribution.txt"},
                      ShowCase{"vrrp", "show_vrrp.json", "show_vrrp.txt"},
                      ShowCase{"members", "show_members_partial.json",
                               "show_members_partial.txt"},
                      ShowCase{"status", "empty.json", "empty_status.txt"},
                      ShowCase{"members", "empty.json", "empty_members.txt"},
                      ShowCase{"distribution", "empty.json", "empty_distribution.txt"},
                      ShowCase{"vrrp", "empty.json", "empty_vrrp.txt"}),
    [](const auto& param_info) {
      std::string n = std::string(param_info.param.expected);
      return n.substr(0, n.find('.'));
    });

// docs/operator-guide.md shows the fixtures' tables; they must stay what batonctl prints.
TEST(CliFormat, OperatorGuideExamplesAreTheFixtures) {
  std::ifstream f(BATON_DOCS_DIR "/operator-guide.md");
  ASSERT_TRUE(f) << "cannot open " BATON_DOCS_DIR "/operator-guide.md";
  std::ostringstream s;
  s << f.rdbuf();
  for (const char* what : {"status", "members", "distribution", "vrrp"}) {
    std::string expected = format_show(what, json_fixture(std::string("show_") + what + ".json"));
    EXPECT_NE(s.str().find("```\n" + expected + "```\n"), std::string::npos)
        << "the guide's `show " << what << "` example differs from:\n" << expected;
  }
}

TEST(CliFormat, NonObjectResultsPrintDashesInsteadOfThrowing) {
  for (const char* what : {"status", "members", "distribution", "vrrp"}) {
    for (const json& j : {json(nullptr), json(3), json("text"), json::array({1, 2}),
                          json{{"members", 5}, {"instances", "x"}, {"failed", {{"a", 1}}}}}) {
      std::string out;
      EXPECT_NO_THROW(out = format_show(what, j)) << what << " " << j.dump();
      EXPECT_NE(out.find('-'), std::string::npos) << what << " " << j.dump();
    }
  }
}

TEST(CliFormat, UnknownViewFallsBackToJson) {
  EXPECT_EQ(format_show("flows", json{{"a", 1}}),
            "no table for \"flows\"; the answer as JSON:\n{\n  \"a\": 1\n}\n");
}

TEST(CliFormat, DistributionShareFromMemberBucketsWhenTotalMissing) {
  json d = {{"members", {{{"name", "a"}, {"buckets", 1}}, {{"name", "b"}, {"buckets", 3}}}},
            {"failed", json::array()}};
  std::string out = format_distribution(d);
  EXPECT_NE(out.find("a      -       -        1  25.0%\n"), std::string::npos) << out;
  EXPECT_NE(out.find("b      -       -        3  75.0%\n"), std::string::npos) << out;
  EXPECT_NE(out.find("failed, in failure order: none\n"), std::string::npos) << out;
  EXPECT_NE(out.find("live generation:  -\n"), std::string::npos) << out;
}

TEST(CliFormat, LiveGenerationEqualHasNoNote) {
  std::string out = format_distribution(json{{"generation", 7}, {"live_generation", 7}});
  EXPECT_NE(out.find("live generation:  7\n"), std::string::npos) << out;
}

TEST(CliFormat, MemberChange) {
  json down = {{"command", "member"}, {"action", "down"}, {"name", "gw1"}, {"persistent", true}};
  EXPECT_EQ(format_member_change(
                down, {{"name", "gw1"}, {"changed", true}, {"state", "draining"}, {"generation", 43}}),
            "member gw1: admin down (persistent); state draining, table generation 43\n");
  json up = {{"command", "member"}, {"action", "up"}, {"name", "gw2"}, {"persistent", false}};
  EXPECT_EQ(format_member_change(
                up, {{"name", "gw2"}, {"changed", false}, {"state", "active"}, {"generation", 43}}),
            "member gw2: already admin up, nothing changed; state active, table generation 43\n");
  EXPECT_EQ(format_member_change(up, json::object()),
            "member gw2: admin up requested; state -, table generation -\n");
}

TEST(CliFormat, StatusShowsAPlannedChangeBeingPrepared) {
  json r = json_fixture("show_status.json");
  r["preparing"] = {{"generation", 43}, {"why", "gw5 taken into service from the spare pool by alice"},
                    {"by", "us"}, {"since_ms", 12}, {"waiting_for", {"gw1", "gw2"}}};
  std::string out = format_status(r);
  EXPECT_NE(out.find("generation:    42\npreparing:     generation 43 (gw5 taken into service from "
                     "the spare pool by alice); by us for 12ms; waiting for gw1, gw2\nmembers:"),
            std::string::npos)
      << out;
  r["preparing"] = nullptr;
  EXPECT_EQ(format_status(r).find("preparing"), std::string::npos);
}

TEST(CliFormat, Failover) {
  EXPECT_EQ(format_failover({{"resigned", true}}),
            "failover: this orchestrator resigned (VRRP priority 0); the standby takes over\n");
  EXPECT_EQ(format_failover({{"resigned", false}}),
            "failover: batond did not report resigning: {\"resigned\":false}\n");
}

TEST(CliFormat, JsonIsTheResultPretty) {
  json r = json_fixture("show_status.json");
  EXPECT_EQ(json::parse(format_json(r)), r);
  EXPECT_EQ(format_json({{"a", 1}}), "{\n  \"a\": 1\n}\n");
}

TEST(CliFormatUtil, TextOfEveryType) {
  json j = {{"s", "x"}, {"e", ""}, {"i", -3}, {"u", 18446744073709551615ULL}, {"f", 2.5},
            {"g", 4.0},  {"b", true}, {"n", nullptr}, {"a", {1}}, {"o", {{"k", 1}}}};
  EXPECT_EQ(text(j, {"s"}), "x");
  EXPECT_EQ(text(j, {"e"}), "-");
  EXPECT_EQ(text(j, {"i"}), "-3");
  EXPECT_EQ(text(j, {"u"}), "18446744073709551615");
  EXPECT_EQ(text(j, {"f"}), "2.5");
  EXPECT_EQ(text(j, {"g"}), "4");
  EXPECT_EQ(text(j, {"b"}), "yes");
  EXPECT_EQ(text(j, {"n"}), "-");
  EXPECT_EQ(text(j, {"a"}), "-");
  EXPECT_EQ(text(j, {"o"}), "-");
  EXPECT_EQ(text(j, {"o", "k"}), "1");
  EXPECT_EQ(text(j, {"s", "deeper"}), "-");
  EXPECT_EQ(text(j, {"missing"}), "-");
}

TEST(CliFormatUtil, Units) {
  EXPECT_EQ(si(0), "0");
  EXPECT_EQ(si(9999), "9999");
  EXPECT_EQ(si(12345), "12.3k");
  EXPECT_EQ(si(1500000), "1.50M");
  EXPECT_EQ(si(2e9), "2.00G");
  EXPECT_EQ(permille_percent(453), "45.3%");
  EXPECT_EQ(permille_percent(1000), "100.0%");
  EXPECT_EQ(age_ms(250), "250ms");
  EXPECT_EQ(age_ms(4200), "4.2s");
  EXPECT_EQ(age_ms(125000), "2m05s");
  EXPECT_EQ(age_ms(7500000), "2h05m");
  EXPECT_EQ(age_ms(90000000), "1d01h");
  EXPECT_EQ(age_ms(-1), "-");
  EXPECT_EQ(duration_s(59), "59s");
  EXPECT_EQ(duration_s(3725), "1h 02m 05s");
  EXPECT_EQ(duration_s(90061), "1d 01h 01m");
  json t = {{"n", 0}, {"s", "yesterday"}, {"neg", -5}};
  EXPECT_EQ(timestamp(find(t, {"n"})), "1970-01-01T00:00:00Z");
  EXPECT_EQ(timestamp(find(t, {"s"})), "yesterday");
  EXPECT_EQ(timestamp(find(t, {"neg"})), "-5");
  EXPECT_EQ(timestamp(nullptr), "-");
}

TEST(CliFormatUtil, TableAlignsAndPadsShortRows) {
  Table t({"A", "NUM", "C"}, {Align::left, Align::right, Align::left});
  t.add({"long-name", "1", "x"});
  t.add({"ü", "12345"});
  EXPECT_EQ(t.render(),
            "A            NUM  C\n"
            "long-name      1  x\n"
            "ü          12345  -\n");
}

TEST(CliFormatUtil, KeyValuesAlignValues) {
  EXPECT_EQ(key_values({{"a", "1"}, {"longer", "2"}}), "a:       1\nlonger:  2\n");
}

}  // namespace
}  // namespace baton::cli
