// baton-agent: the member agent (DESIGN §1, §6). Registers with the orchestrators, heartbeats
// its load, acknowledges tables, executes admin commands, and serves the local API that
// clusterXL_admin uses. Reference: docs/operator-guide.md, "baton-agent".

// GCC 12 reports a false "potential null pointer dereference" inside CLI11's option parsing.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "agent/shell.hpp"
#include "core/log.hpp"

using namespace baton;

namespace {

Result<int> open_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return err("sigprocmask: {}", std::strerror(errno));
  int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return err("signalfd: {}", std::strerror(errno));
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "baton-agent: the member agent of a baton security group. Registers with the group's\n"
      "orchestrators, sends them heartbeats with this gateway's load, acknowledges the\n"
      "distribution tables they push and executes their admin commands; serves the local\n"
      "JSON API (config key `socket`) that clusterXL_admin talks to.\n\n"
      "Signals: SIGHUP re-reads the config (a bad file keeps the running one); SIGTERM and\n"
      "SIGINT exit.\n\n"
      "Example:\n"
      "  baton-agent --config /etc/baton/baton-agent.yaml"};
  std::string config_path, level;
  app.add_option("-c,--config", config_path, "The agent's YAML configuration (required)")->required();
  app.add_option("--log-level", level,
                 "trace, debug, info, warn, error or off (default: the config's log_level)");
  CLI11_PARSE(app, argc, argv);

  if (auto s = log::setup("baton-agent", level.empty() ? "info" : level); !s) {
    std::fprintf(stderr, "baton-agent: --log-level: %s\n", s.error().message.c_str());
    return 2;
  }
  auto sigfd = open_signals();
  if (!sigfd) {
    spdlog::critical("{}", sigfd.error().message);
    return 1;
  }
  agent::ShellOptions options;
  options.config_path = config_path;
  auto shell = agent::Shell::open(options);
  if (!shell) {
    spdlog::critical("not starting: {}", shell.error().message);
    return 1;
  }
  if (!level.empty()) spdlog::set_level(*log::parse_level(level));  // the command line wins
  agent::Shell& sh = **shell;
  auto watched = sh.loop().watch(*sigfd, [&] {
    signalfd_siginfo si{};
    while (::read(*sigfd, &si, sizeof si) == sizeof si) {
      if (si.ssi_signo == SIGHUP) {
        spdlog::info("SIGHUP: reloading the configuration");
        sh.reload();
        if (!level.empty()) spdlog::set_level(*log::parse_level(level));
      } else {
        spdlog::info("signal {}: exiting", si.ssi_signo);
        sh.loop().stop();
      }
    }
  });
  if (!watched) {
    spdlog::critical("{}", watched.error().message);
    return 1;
  }
  auto ran = sh.run();
  sh.loop().unwatch(*sigfd);
  ::close(*sigfd);
  if (!ran) {
    spdlog::critical("event loop: {}", ran.error().message);
    return 1;
  }
  return 0;
}
