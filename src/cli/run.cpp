#include "cli/run.hpp"

#include <cerrno>
#include <chrono>
#include <thread>
#include <ostream>
#include <sstream>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include <fmt/format.h>

#include "cli/format.hpp"
#include "cli/format_util.hpp"

namespace baton::cli {

using nlohmann::json;

std::string resolve_who(const Environment& env) {
  if (!env.sudo_user.empty()) return env.sudo_user;
  if (!env.user.empty()) return env.user;
  return fmt::format("uid {}", env.uid);
}

std::string resolve_socket(const std::string& option, const Environment& env) {
  if (!option.empty()) return option;
  if (!env.baton_socket.empty()) return env.baton_socket;
  return kDefaultSocket;
}

namespace {

constexpr const char* kFooter =
    "Socket: --socket, else $BATON_SOCKET, else /run/baton/batond.sock.\n"
    "Exit status: 0 done, 1 batond answered with an error, 2 usage, 3 batond unreachable.";

struct Parsed {
  std::string socket;
  std::string output = "table";
  double timeout_s = 5;
  std::string command;  // show, member, failover
  std::string what;     // show
  std::string action;   // member
  std::string name;     // member
  bool persistent = false;
  std::optional<std::uint32_t> weight;  // member weight
  std::string reason;
  std::vector<std::string> flow;  // flow
  double wait_s = 1;              // flow: how long to wait for the members' answers
};

void print_unreachable(const Answer& a, const std::string& socket, std::ostream& err) {
  err << "batonctl: cannot reach batond: " << a.message << "\n";
  if (a.sys_errno == EACCES || a.sys_errno == EPERM)
    err << "batonctl: the socket is root's (mode 0600) or api.group's (0660): run as root, "
           "with sudo, or as a member of batond's api.group\n";
  else
    err << "batonctl: is batond running? Is " << socket
        << " its api.socket? (choose another with --socket or BATON_SOCKET)\n";
}

// batonctl flow, step 2: asks for the members' answers until both are in or --wait is over.
int flow_answers(const std::string& socket, const json& start, const Parsed& p,
                 std::chrono::milliseconds timeout, const Asker& ask, std::ostream& out,
                 std::ostream& err) {
  const json* q = find(start, {"query"});
  if (q == nullptr || !q->is_number_unsigned()) {
    err << "batonctl: batond's answer has no query number\n";
    return kExitDaemonError;
  }
  json result;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(p.wait_s * 1000));
  for (;;) {
    Answer a = ask(socket, {{"command", "flow-result"}, {"query", *q}}, timeout);
    if (a.kind == Answer::Kind::unreachable) {
      print_unreachable(a, socket, err);
      return kExitUnreachable;
    }
    if (a.kind == Answer::Kind::error) {
      err << "batonctl: batond: " << a.message << "\n";
      return kExitDaemonError;
    }
    result = a.result;
    if (boolean(result, {"complete"}).value_or(false) ||
        std::chrono::steady_clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (p.output == "json") out << format_json(json{{"lookup", start}, {"answers", result}});
  else out << format_flow(start, result);
  return kExitOk;
}

}  // namespace

int run_main(const std::vector<std::string>& args, const Environment& env, const Asker& ask,
             std::ostream& out, std::ostream& err) {
  CLI::App app{"batonctl: look at and steer batond, the baton orchestrator, through its local "
               "API (docs/api.md)"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();  // global options also after the subcommand: `show members -o json`
  Parsed p;
  app.add_option("--socket", p.socket, "batond's API socket")->type_name("PATH");
  app.add_option("-o,--output", p.output, "table (for people) or json (the result as received)")
      ->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  app.add_option("--timeout", p.timeout_s, "seconds to wait for batond's answer")
      ->check(CLI::Range(0.01, 600.0))->capture_default_str();

  auto* show = app.add_subcommand("show", "status, members, distribution or vrrp");
  show->add_option("what", p.what, "status | members | distribution | vrrp")->required()
      ->check(CLI::IsMember({"status", "members", "distribution", "vrrp"}));

  auto* member = app.add_subcommand(
      "member", "take a member out of the group or bring it back; take a spare into service or "
                "return it to the pool (all planned: no connection is lost)");
  member->add_option("action", p.action,
                     "down | up (admin state) | add | remove (a spare into service, back to "
                     "the pool) | weight (its share of the buckets: `member weight NAME W`)")
      ->required()
      ->check(CLI::IsMember({"down", "up", "add", "remove", "weight"}));
  member->add_option("name", p.name, "the member's name, as in `show members`")->required();
  member->add_option("weight", p.weight, "for `weight`: the new weight, 0..512 (0: no buckets)")
      ->check(CLI::Range(0, 512));
  member->add_flag("-p,--persistent", p.persistent,
                   "keep the admin state across restarts of batond and of the member");
  member->add_option("--reason", p.reason,
                     "why (recorded in the audit log; required for down, add and remove)")
      ->type_name("TEXT");

  auto* failover = app.add_subcommand("failover", "the active orchestrator resigns; the standby "
                                                  "takes over");
  failover->add_option("--reason", p.reason, "why (recorded in the audit log)")->type_name("TEXT");

  auto* flow = app.add_subcommand(
      "flow", "where is a connection (bucket, owner, successor), and do both members hold it?");
  flow->add_option("connection", p.flow,
                   "PROTO SRC DST, e.g. tcp 10.0.1.10:40000 203.0.113.10:7007 (icmp: SRC DST "
                   "[id N]; other protocols: proto N SRC DST)")
      ->required()->expected(3, 6);
  flow->add_option("--wait", p.wait_s, "seconds to wait for the members' answers")
      ->check(CLI::Range(0.05, 60.0))->capture_default_str();

  std::vector<const char*> argv{"batonctl"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    std::ostringstream o, e2;
    int code = app.exit(e, o, e2);
    out << o.str();
    if (!e2.str().empty()) err << "batonctl: " << e2.str();
    return code == 0 ? kExitOk : kExitUsage;
  }

  std::string who = resolve_who(env);
  json request;
  if (*show) {
    request = {{"command", "show"}, {"what", p.what}};
  } else if (*member) {
    bool pool = p.action == "add" || p.action == "remove" || p.action == "weight";
    if ((p.action == "weight") != p.weight.has_value()) {
      err << "batonctl: member " << p.action << " " << p.name
          << (p.weight ? ": a weight goes only with `member weight`\n"
                       : ": give the new weight: member weight NAME W --reason TEXT\n");
      return kExitUsage;
    }
    if (p.action != "up" && p.reason.empty()) {
      err << "batonctl: member " << p.action << " " << p.name
          << ": give --reason TEXT (it goes to the audit log with who did it)\n";
      return kExitUsage;
    }
    if (pool && p.persistent) {
      err << "batonctl: member " << p.action << ": -p applies to down and up (spares in "
          << "service and weights are kept by the orchestrators, not by the member)\n";
      return kExitUsage;
    }
    request = {{"command", "member"}, {"action", p.action}, {"name", p.name},
               {"reason", p.reason}, {"who", who}};
    if (!pool) request["persistent"] = p.persistent;
    if (p.weight) request["weight"] = *p.weight;
  } else if (*flow) {
    std::string t;
    for (const auto& w : p.flow) t += (t.empty() ? "" : " ") + w;
    request = {{"command", "flow"}, {"flow", t}};
  } else {
    request = {{"command", "failover"}, {"who", who}, {"reason", p.reason}};
  }

  std::string socket = resolve_socket(p.socket, env);
  auto timeout = std::chrono::milliseconds(static_cast<long>(p.timeout_s * 1000));
  Answer a = ask(socket, request, timeout);
  switch (a.kind) {
    case Answer::Kind::unreachable:
      print_unreachable(a, socket, err);
      return kExitUnreachable;
    case Answer::Kind::error:
      err << "batonctl: batond: " << a.message << "\n";
      return kExitDaemonError;
    case Answer::Kind::result:
      break;
  }
  if (*flow) return flow_answers(socket, a.result, p, timeout, ask, out, err);
  if (p.output == "json") {
    out << format_json(a.result);
  } else if (*show) {
    out << format_show(p.what, a.result);
  } else if (*member) {
    out << format_member_change(request, a.result);
  } else {
    out << format_failover(a.result);
  }
  if (*failover && !(boolean(a.result, {"resigned"}).value_or(false))) {
    if (p.output == "json") err << "batonctl: batond did not report resigning\n";
    return kExitDaemonError;
  }
  return kExitOk;
}

}  // namespace baton::cli
