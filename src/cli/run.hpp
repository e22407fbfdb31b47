// batonctl from arguments to exit status; main() reads the environment and calls run_main().
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/client.hpp"

namespace baton::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitDaemonError = 1;  // batond answered with an error
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;  // no answer from batond

inline constexpr const char* kDefaultSocket = "/run/baton/batond.sock";

// What batonctl takes from its environment (empty strings when unset).
struct Environment {
  std::string baton_socket;  // BATON_SOCKET
  std::string sudo_user;     // SUDO_USER
  std::string user;          // USER
  unsigned uid = 0;          // getuid()
};

// Who to record in the audit log: SUDO_USER, else USER, else "uid N".
std::string resolve_who(const Environment& env);

// The socket: --socket if given, else BATON_SOCKET, else /run/baton/batond.sock.
std::string resolve_socket(const std::string& option, const Environment& env);

// Parses `args` (after the program name), sends one request through `ask`, prints the answer
// to `out` (table or JSON) and errors to `err`; returns one of the kExit* codes.
int run_main(const std::vector<std::string>& args, const Environment& env, const Asker& ask,
             std::ostream& out, std::ostream& err);

}  // namespace baton::cli
