// batonctl: the operator's client of batond's local JSON API. See docs/api.md and
// docs/operator-guide.md ("batonctl"); the logic is in run.cpp, the tables in format*.cpp.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/run.hpp"

namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

}  // namespace

int main(int argc, char** argv) {
  baton::cli::Environment env;
  env.baton_socket = env_or_empty("BATON_SOCKET");
  env.sudo_user = env_or_empty("SUDO_USER");
  env.user = env_or_empty("USER");
  env.uid = ::getuid();
  std::vector<std::string> args(argv + 1, argv + argc);
  return baton::cli::run_main(args, env, baton::cli::ask, std::cout, std::cerr);
}
