// The command line end to end through run_main(): validation errors name the option and
// exit 2, events keep their command-line order, and --json is one parseable document.
#include "sim/run.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/cli.hpp"

namespace baton::sim {
namespace {

struct Outcome {
  int code;
  std::string out, err;
};

Outcome run(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = run_main(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(SimulatorCli, BadArgumentsNameTheOptionAndExit2) {
  struct Case {
    std::vector<std::string> args;
    const char* expect;
  } cases[] = {
      {{"--members", "0"}, "--members 0: 0 is out of range 1..4096"},
      {{"--members", "many"}, "--members many: 'many' is not a number"},
      {{"--flows", "0"}, "--flows 0:"},
      {{"--flows", "100000001"}, "--flows 100000001:"},
      {{"--buckets", "65536"}, "--buckets 65536: not a prime"},
      {{"--buckets", "1"}, "--buckets 1:"},
      {{"--mode", "l4"}, "--mode l4:"},
      {{"--ipv6-percent", "101"}, "--ipv6-percent 101:"},
      {{"--default-weight", "513"}, "--default-weight 513:"},
      {{"--default-weight", "0"}, "--default-weight 0: every member has weight 0"},
      {{"--member-weight", "9=2"}, "--member-weight 9=2: no member 9"},
      {{"--member-weight", "3=2,3=4"}, "member 3 is given a weight twice"},
      {{"--member-weight", "3"}, "--member-weight 3:"},
      {{"--member-weight", "3=600"}, "weight 600 is out of range 0..512"},
      {{"--fail", "9"}, "--fail 9: member 9 is not in the group"},
      {{"--fail", "2,2"}, "--fail 2,2: member 2 has already left the group"},
      {{"--fail", "x"}, "--fail x: member id 'x' is not a number"},
      {{"--admin-down", "0"}, "--admin-down 0: member id 0 is out of range"},
      {{"--add", "3"}, "--add 3: member 3 is already in the group"},
      {{"--add", "9:513"}, "--add 9:513: weight 513 is out of range 0..512"},
      {{"--weight", "2"}, "--weight 2: '2' should be ID=WEIGHT"},
      {{"--weight", "12=5"}, "--weight 12=5: member 12 is not in the group"},
      {{"--members", "1", "--fail", "1"}, "--fail 1: member 1 is the last member"},
      {{"--members", "2", "--weight", "1=0,2=0"}, "--weight 1=0,2=0: member 2 is the last"},
      {{"--scenario", "/nonexistent/x"}, "--scenario /nonexistent/x: cannot open"},
      {{"--no-such-option"}, "--no-such-option"},
  };
  for (auto& c : cases) {
    c.args.push_back("--flows=1000");
    if (c.args[0] == "--flows") c.args.pop_back();
    Outcome r = run(c.args);
    EXPECT_EQ(r.code, kExitUsage) << c.args[0];
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_EQ(r.err.rfind("baton-sim: error: ", 0), 0u) << r.err;
    EXPECT_TRUE(r.out.empty()) << c.args[0];
  }
}

TEST(SimulatorCli, HelpExplainsScenarioAndColumns) {
  Outcome r = run({"--help"});
  EXPECT_EQ(r.code, kExitOk);
  for (const char* word : {"--fail", "--admin-down", "--add", "--weight", "--scenario", "--json",
                           "collateral", "covered", "uncovered", "pre-synced", "max/min"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
}

TEST(SimulatorCli, EventsRunInCommandLineOrder) {
  auto cli = parse_cli({"--add", "9", "--fail", "9,1", "--weight", "2=5", "--admin-down", "3"});
  ASSERT_TRUE(cli) << cli.error().message;
  const auto& e = cli->options.events;
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].kind, EventKind::add);
  EXPECT_EQ(e[1].kind, EventKind::fail);
  EXPECT_EQ(e[1].member, 9);
  EXPECT_EQ(e[2].member, 1);
  EXPECT_EQ(e[3].kind, EventKind::weight);
  EXPECT_EQ(e[4].kind, EventKind::admin_down);
  EXPECT_EQ(run({"--flows", "1000", "--add", "9", "--fail", "9"}).code, kExitOk);
  EXPECT_EQ(run({"--flows", "1000", "--fail", "9", "--add", "9"}).code, kExitUsage);
}

TEST(SimulatorCli, ScenarioFileExpandsInPlace) {
  std::string path = ::testing::TempDir() + "baton_sim_scenario.txt";
  {
    std::ofstream f(path);
    f << "# two failures, then the first comes back\nfail 1\nfail 2\nadd 1 3\n";
  }
  auto cli = parse_cli({"--fail", "5", "--scenario", path, "--weight", "1=2"});
  ASSERT_TRUE(cli) << cli.error().message;
  const auto& e = cli->options.events;
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].member, 5);
  EXPECT_EQ(e[1].origin, path + ":2");
  EXPECT_EQ(e[3].kind, EventKind::add);
  EXPECT_EQ(e[3].weight, 3u);
  EXPECT_EQ(e[4].kind, EventKind::weight);
  std::remove(path.c_str());
}

// The figure: `baton-sim --members 64 --fail 1 --json` shows moved fraction = 1/64 and
// collateral 0.
TEST(SimulatorCli, JsonOf64MembersFailOne) {
  Outcome r = run({"--members", "64", "--fail", "1", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tool"], "baton-sim");
  EXPECT_EQ(j["parameters"]["members"], 64);
  EXPECT_EQ(j["parameters"]["flows"], 1000000);
  EXPECT_EQ(j["parameters"]["buckets"], 65537);
  EXPECT_EQ(j["parameters"]["mode"], "general-l4");
  EXPECT_EQ(j["population"]["flows"], 1000000);
  EXPECT_TRUE(j["initial"]["share"].contains("max_min_ratio"));
  ASSERT_EQ(j["events"].size(), 1u);
  const auto& e = j["events"][0];
  EXPECT_EQ(e["event"], "fail 1");
  EXPECT_EQ(e["kind"], "fail");
  EXPECT_EQ(e["member"], 1);
  EXPECT_EQ(e["planned"], false);
  EXPECT_EQ(e["generation"], 2);
  EXPECT_EQ(e["table_change"], "failure patch");
  EXPECT_TRUE(e["table_ms"].is_number());
  EXPECT_TRUE(e["successors_ms"].is_number());
  double moved = e["flows"]["moved_fraction"];
  double sigma = std::sqrt((1.0 / 64) * (63.0 / 64) / 1e6);
  EXPECT_NEAR(moved, 1.0 / 64, 5 * sigma);
  EXPECT_NEAR(e["buckets"]["moved_fraction"].get<double>(), 1.0 / 64, 1.0 / 65537);
  EXPECT_EQ(e["flows"]["collateral"], 0);
  EXPECT_EQ(e["flows"]["collateral_fraction"], 0.0);
  EXPECT_EQ(e["flows"]["uncovered"], 0);
  EXPECT_EQ(e["flows"]["covered"], e["flows"]["moved"]);
  EXPECT_EQ(e["flows"]["lost"], 0);
  EXPECT_EQ(e["share"]["live_members"], 63);
  for (const char* k : {"min_flows", "max_flows", "min_member", "max_member", "max_min_ratio",
                        "weighted_max_min_ratio"})
    EXPECT_TRUE(e["share"].contains(k)) << k;
  EXPECT_FALSE(e["share"].contains("members"));  // only with --per-member
}

TEST(SimulatorCli, JsonOfPlannedEventsReportsPreSync) {
  Outcome r = run({"--flows", "50000", "--add", "9:2", "--weight", "3=0", "--per-member", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["events"].size(), 2u);
  for (const auto& e : j["events"]) {
    EXPECT_EQ(e["planned"], true);
    EXPECT_EQ(e["table_change"], "rebuild");
    EXPECT_GT(e["flows"]["moved"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(e["flows"]["covered"].get<std::uint64_t>() + e["flows"]["uncovered"].get<std::uint64_t>(),
              e["flows"]["moved"].get<std::uint64_t>());
    EXPECT_EQ(e["flows"]["pre_synced"], e["flows"]["uncovered"]);
    EXPECT_EQ(e["flows"]["lost"], 0);
    EXPECT_EQ(e["share"]["members"].size(), 9u);
  }
  EXPECT_EQ(j["events"][0]["weight"], 2);
}

TEST(SimulatorCli, HumanReportSaysWhatHappened) {
  Outcome r = run({"--flows", "20000", "--fail", "2", "--add", "9"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("fail 2"), std::string::npos);
  EXPECT_NE(r.out.find("add 9 (weight 1)"), std::string::npos);
  EXPECT_NE(r.out.find("none lost"), std::string::npos);
  EXPECT_NE(r.out.find("pre-sync"), std::string::npos);
}

}  // namespace
}  // namespace baton::sim
