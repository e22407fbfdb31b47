// batond: the orchestrator daemon.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include <cstdio>

#include <spdlog/spdlog.h>

#include "config/orchestrator.hpp"
#include "orchestrator/daemon.hpp"

int main(int argc, char** argv) {
  CLI::App app{"batond: the orchestrator of a baton gateway group (VRRP, XDP distribution, "
               "member health, admin, API)"};
  baton::orchestrator::DaemonOptions o;
  o.config_path = "/etc/baton/batond.yaml";
  app.add_option("-c,--config", o.config_path, "configuration file (docs/operator-guide.md)")
      ->capture_default_str();
  app.add_option("--log-level", o.log_level,
                 "trace, debug, info, warn, error or off (default: the file's log_level)");
  bool check = false;
  app.add_flag("--check", check, "check the configuration file and exit");
  CLI11_PARSE(app, argc, argv);
  if (check) {
    auto cfg = baton::config::load_orchestrator_config(o.config_path);
    if (!cfg) {
      std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
      return 1;
    }
    std::printf("%s: ok (group %s, orchestrator %s, %zu members)\n", o.config_path.c_str(),
                cfg->group.c_str(), cfg->self.name.c_str(), cfg->members.size());
    return 0;
  }
  auto d = baton::orchestrator::Daemon::create(o);
  if (!d) {
    std::fprintf(stderr, "batond: %s\n", d.error().message.c_str());
    return 1;
  }
  if (auto s = (*d)->run(); !s) {
    spdlog::error("{}", s.error().message);
    return 1;
  }
  return 0;
}
