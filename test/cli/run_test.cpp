// batonctl's command line through run_main() with a fake daemon: the request each command
// sends, who is recorded, which socket is used, and the exit status and message of every
// outcome (result, error answer, unreachable, usage).
#include "cli/run.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <sstream>

namespace baton::cli {
namespace {

using nlohmann::json;

struct Outcome {
  int code;
  std::string out, err;
  int calls = 0;
  std::string socket;
  json request;
  std::chrono::milliseconds timeout{0};
};

Outcome run(std::vector<std::string> args, Answer answer, Environment env = {}) {
  Outcome o{};
  std::ostringstream out, err;
  Asker fake = [&](const std::string& socket, const json& request,
                   std::chrono::milliseconds timeout) {
    ++o.calls;
    o.socket = socket;
    o.request = request;
    o.timeout = timeout;
    return answer;
  };
  o.code = run_main(args, env, fake, out, err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

Answer result(json r) { return Answer{Answer::Kind::result, std::move(r), {}, 0}; }

TEST(CliRun, ShowSendsTheViewAndPrintsTheTable) {
  auto o = run({"show", "status"}, result({{"role", "standby"}}));
  EXPECT_EQ(o.code, kExitOk);
  EXPECT_EQ(o.request, (json{{"command", "show"}, {"what", "status"}}));
  EXPECT_NE(o.out.find("role:          standby\n"), std::string::npos) << o.out;
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(o.timeout, std::chrono::milliseconds(5000));
}

TEST(CliRun, JsonOutputBeforeOrAfterTheSubcommand) {
  json r = {{"members", json::array()}};
  for (auto args : {std::vector<std::string>{"-o", "json", "show", "members"},
                    std::vector<std::string>{"show", "members", "--output", "json"}}) {
    auto o = run(args, result(r));
    EXPECT_EQ(o.code, kExitOk);
    EXPECT_EQ(o.out, "{\n  \"members\": []\n}\n");
  }
}

TEST(CliRun, SocketFromOptionThenEnvironmentThenDefault) {
  Environment env;
  EXPECT_EQ(run({"show", "vrrp"}, result({}), env).socket, "/run/baton/batond.sock");
  env.baton_socket = "/tmp/env.sock";
  EXPECT_EQ(run({"show", "vrrp"}, result({}), env).socket, "/tmp/env.sock");
  EXPECT_EQ(run({"--socket", "/tmp/opt.sock", "show", "vrrp"}, result({}), env).socket,
            "/tmp/opt.sock");
}

TEST(CliRun, WhoIsSudoUserThenUserThenUid) {
  Environment env;
  env.uid = 1234;
  EXPECT_EQ(resolve_who(env), "uid 1234");
  env.user = "root";
  EXPECT_EQ(resolve_who(env), "root");
  env.sudo_user = "alice";
  EXPECT_EQ(resolve_who(env), "alice");
}

TEST(CliRun, MemberDownSendsEverythingTheAuditLogNeeds) {
  Environment env;
  env.sudo_user = "alice";
  env.user = "root";
  auto o = run({"member", "down", "gw3", "-p", "--reason", "kernel upgrade"},
               result({{"name", "gw3"}, {"changed", true}, {"state", "draining"},
                       {"generation", 44}}),
               env);
  EXPECT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(o.request, (json{{"command", "member"}, {"action", "down"}, {"name", "gw3"},
                             {"persistent", true}, {"reason", "kernel upgrade"}, {"who", "alice"}}));
  EXPECT_EQ(o.out, "member gw3: admin down (persistent); state draining, table generation 44\n");
}

TEST(CliRun, MemberUpNeedsNoReason) {
  auto o = run({"member", "up", "gw3", "--persistent"},
               result({{"name", "gw3"}, {"changed", true}, {"state", "joining"}}));
  EXPECT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(o.request["persistent"], true);
  EXPECT_EQ(o.request["reason"], "");
}

TEST(CliRun, MemberDownWithoutReasonIsUsageAndSendsNothing) {
  auto o = run({"member", "down", "gw3"}, result({}));
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_EQ(o.calls, 0);
  EXPECT_EQ(o.err, "batonctl: member down gw3: give --reason TEXT (it goes to the audit log with "
                   "who did it)\n");
}

TEST(CliRun, SpareAddAndRemove) {
  Environment env;
  env.user = "alice";
  auto o = run({"member", "add", "gw5", "--reason", "evening peak"},
               result({{"name", "gw5"}, {"changed", true}, {"state", "active"},
                       {"generation", 45}}),
               env);
  EXPECT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(o.request, (json{{"command", "member"}, {"action", "add"}, {"name", "gw5"},
                             {"reason", "evening peak"}, {"who", "alice"}}));
  EXPECT_EQ(o.out, "member gw5: into service from the spare pool; state active, table generation 45\n");
  auto rm = run({"member", "remove", "gw5", "--reason", "peak over"},
                result({{"name", "gw5"}, {"changed", true}, {"state", "spare"}, {"generation", 46}}));
  EXPECT_EQ(rm.out, "member gw5: back to the spare pool; state spare, table generation 46\n");
  auto no_reason = run({"member", "add", "gw5"}, result({}));
  EXPECT_EQ(no_reason.code, kExitUsage);
  EXPECT_EQ(no_reason.calls, 0);
  EXPECT_EQ(no_reason.err, "batonctl: member add gw5: give --reason TEXT (it goes to the audit "
                           "log with who did it)\n");
  auto with_p = run({"member", "remove", "gw5", "-p", "--reason", "x"}, result({}));
  EXPECT_EQ(with_p.code, kExitUsage);
  EXPECT_EQ(with_p.calls, 0);
}

TEST(CliRun, MemberWeight) {
  Environment env;
  env.user = "alice";
  auto o = run({"member", "weight", "gw2", "50", "--reason", "older hardware"},
               result({{"name", "gw2"}, {"changed", true}, {"state", "active"}, {"weight", 50},
                       {"generation", 47}}),
               env);
  EXPECT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(o.request, (json{{"command", "member"}, {"action", "weight"}, {"name", "gw2"},
                             {"weight", 50}, {"reason", "older hardware"}, {"who", "alice"}}));
  EXPECT_EQ(o.out, "member gw2: weight 50; state active, table generation 47\n");
  auto missing = run({"member", "weight", "gw2", "--reason", "x"}, result({}));
  EXPECT_EQ(missing.code, kExitUsage);
  EXPECT_EQ(missing.calls, 0);
  EXPECT_EQ(missing.err, "batonctl: member weight gw2: give the new weight: member weight NAME W "
                         "--reason TEXT\n");
  auto stray = run({"member", "down", "gw2", "50", "--reason", "x"}, result({}));
  EXPECT_EQ(stray.code, kExitUsage);
  EXPECT_EQ(stray.err, "batonctl: member down gw2: a weight goes only with `member weight`\n");
  auto big = run({"member", "weight", "gw2", "600", "--reason", "x"}, result({}));
  EXPECT_EQ(big.code, kExitUsage);
  EXPECT_EQ(big.calls, 0);
}

TEST(CliRun, Failover) {
  Environment env;
  env.user = "bob";
  auto o = run({"failover", "--reason", "patching orch-a"}, result({{"resigned", true}}), env);
  EXPECT_EQ(o.code, kExitOk);
  EXPECT_EQ(o.request,
            (json{{"command", "failover"}, {"who", "bob"}, {"reason", "patching orch-a"}}));
  EXPECT_NE(o.out.find("resigned"), std::string::npos);
  auto not_resigned = run({"failover"}, result({{"resigned", false}}));
  EXPECT_EQ(not_resigned.code, kExitDaemonError);
}

TEST(CliRun, ErrorAnswerIsPrintedAndExits1) {
  auto o = run({"member", "up", "gw9"},
               Answer{Answer::Kind::error, nullptr, "member \"gw9\" is not in the group", 0});
  EXPECT_EQ(o.code, kExitDaemonError);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "batonctl: batond: member \"gw9\" is not in the group\n");
}

TEST(CliRun, UnreachableNamesTheSocketAndHints) {
  auto o = run({"--socket", "/tmp/x.sock", "show", "status"},
               Answer{Answer::Kind::unreachable, nullptr,
                      "cannot connect to /tmp/x.sock: No such file or directory", ENOENT});
  EXPECT_EQ(o.code, kExitUnreachable);
  EXPECT_EQ(o.out, "");
  EXPECT_NE(o.err.find("cannot connect to /tmp/x.sock: No such file or directory"),
            std::string::npos);
  EXPECT_NE(o.err.find("is batond running?"), std::string::npos) << o.err;
  auto denied = run({"show", "status"},
                    Answer{Answer::Kind::unreachable, nullptr, "cannot connect: denied", EACCES});
  EXPECT_EQ(denied.code, kExitUnreachable);
  EXPECT_NE(denied.err.find("api.group"), std::string::npos) << denied.err;
}

TEST(CliRun, UsageErrorsExit2AndSendNothing) {
  for (auto args : std::vector<std::vector<std::string>>{
           {}, {"show"}, {"show", "flows"}, {"member", "sideways", "gw1"}, {"member", "down"},
           {"-o", "yaml", "show", "status"}, {"--timeout", "0", "show", "status"}, {"frobnicate"}}) {
    auto o = run(args, result({}));
    EXPECT_EQ(o.code, kExitUsage) << ::testing::PrintToString(args);
    EXPECT_EQ(o.calls, 0);
    EXPECT_EQ(o.err.rfind("batonctl: ", 0), 0u) << o.err;
  }
}

TEST(CliRun, HelpExits0) {
  auto o = run({"--help"}, result({}));
  EXPECT_EQ(o.code, kExitOk);
  EXPECT_NE(o.out.find("BATON_SOCKET"), std::string::npos) << o.out;
  EXPECT_EQ(o.calls, 0);
}

TEST(CliRun, TimeoutOption) {
  EXPECT_EQ(run({"--timeout", "0.5", "show", "status"}, result({})).timeout,
            std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace baton::cli
