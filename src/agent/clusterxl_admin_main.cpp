// clusterXL_admin: set this member administratively down or up, as the command of the same
// name does on a Check Point ClusterXL member. It is only a client of baton-agent's local API
// (docs/api.md); semantics in docs/operator-guide.md, "clusterXL_admin".

// GCC 12 reports a false "potential null pointer dereference" inside CLI11's option parsing.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "api/json_socket.hpp"

namespace {

constexpr const char* kDefaultSocket = "/run/baton/agent.sock";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Who is acting: the login behind sudo, else the user, else the uid.
std::string who_am_i() {
  if (auto s = env("SUDO_USER"); !s.empty()) return s;
  if (auto u = env("USER"); !u.empty()) return u;
  if (const passwd* pw = ::getpwuid(::getuid())) return pw->pw_name;
  return "uid " + std::to_string(::getuid());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "clusterXL_admin: set this member administratively down or up.\n\n"
      "  down      take the member out of the group (its buckets move to the others)\n"
      "  down -p   the same, and keep it down across restarts and reboots\n"
      "  up        bring it back (a persistent down is still stored and applies again at the\n"
      "            next restart)\n"
      "  up -p     bring it back and remove a persistent down\n\n"
      "It talks to baton-agent on its local socket (--socket, else $BATON_AGENT_SOCKET, else\n" +
      std::string(kDefaultSocket) + ")."};
  std::string action, reason, socket = env("BATON_AGENT_SOCKET");
  bool persistent = false;
  app.add_option("action", action, "down or up")->required()->check(CLI::IsMember({"down", "up"}));
  app.add_flag("-p,--persistent", persistent, "Persist the change across restarts (reboot)");
  app.add_option("--reason", reason, "Why (recorded with who did it)");
  app.add_option("--socket", socket, "baton-agent's API socket");
  CLI11_PARSE(app, argc, argv);
  if (socket.empty()) socket = kDefaultSocket;

  bool down = action == "down";
  std::cout << (down ? "Setting member to administratively down state ..."
                     : "Setting member to normal operation ...")
            << std::endl;
  nlohmann::json req = {{"command", "admin"},
                        {"state", action},
                        {"persistent", persistent},
                        {"who", who_am_i()},
                        {"reason", reason}};
  auto res = baton::api::call(socket, req, std::chrono::milliseconds(3000));
  if (!res) {
    const std::string& why = res.error().message;
    std::cerr << "clusterXL_admin: " << why << std::endl;
    // Transport errors name the socket; an answer from the agent does not.
    if (why.find(socket) != std::string::npos)
      std::cerr << "clusterXL_admin: baton-agent is not reachable at " << socket
                << " (is it running, and are you root?); nothing changed" << std::endl;
    return 1;
  }
  const auto& r = *res;
  bool changed = r.value("changed", false);
  std::string summary = r.value("summary", "");
  if (changed) {
    std::cout << "Member state has been changed successfully" << std::endl;
    if (!summary.empty()) std::cout << summary << std::endl;
  } else {
    std::cout << "Member state has not changed: " << summary << std::endl;
  }
  if (persistent)
    std::cout << (down ? "The member stays down after a restart or reboot (clusterXL_admin up -p "
                         "removes that)."
                       : "No persistent down is stored any more.")
              << std::endl;
  return 0;
}
