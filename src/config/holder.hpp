// ConfigHolder: the daemon's current configuration and the reload rule (DESIGN §7). A bad file
// at start is an error (the daemon refuses to start); a bad file at reload (SIGHUP) leaves the
// last good configuration in place and returns the errors for the daemon to log.
//
//   auto held = config::open_orchestrator_config("/etc/baton/batond.yaml");
//   if (!held) { log the error; exit(1); }
//   ... on SIGHUP:  if (auto s = held->reload(); !s) spdlog::warn("{}", s.error().message);
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "config/agent.hpp"
#include "config/orchestrator.hpp"
#include "core/result.hpp"

namespace baton::config {

template <typename T>
class ConfigHolder {
 public:
  using Loader = std::function<Result<T>(const std::string& path)>;

  // Loads `path` with `load`; its errors are the result's.
  static Result<ConfigHolder> open(std::string path, Loader load) {
    Result<T> first = load(path);
    if (!first) return first.error();
    return ConfigHolder(std::move(path), std::move(load), std::move(first).value());
  }

  // Re-reads the file: swaps the new configuration in, or keeps the current one and returns
  // the errors.
  Status reload() { return offer(load_(path_)); }

  // The same rule for a configuration parsed elsewhere.
  Status offer(Result<T> candidate) {
    if (!candidate) return candidate.error();
    if (!(std::as_const(candidate).value() == *current_)) {
      current_ = std::make_shared<const T>(std::move(candidate).value());
      ++generation_;
    }
    return {};
  }

  const T& current() const { return *current_; }
  // A reference that stays valid across later reloads.
  std::shared_ptr<const T> snapshot() const { return current_; }
  // 1 after open; one more for each accepted reload that changed something.
  std::uint64_t generation() const { return generation_; }
  const std::string& path() const { return path_; }

 private:
  ConfigHolder(std::string path, Loader load, T first)
      : path_(std::move(path)),
        load_(std::move(load)),
        current_(std::make_shared<const T>(std::move(first))) {}

  std::string path_;
  Loader load_;
  std::shared_ptr<const T> current_;
  std::uint64_t generation_ = 1;
};

using OrchestratorConfigHolder = ConfigHolder<OrchestratorConfig>;
using AgentConfigHolder = ConfigHolder<AgentConfig>;

inline Result<OrchestratorConfigHolder> open_orchestrator_config(std::string path) {
  return OrchestratorConfigHolder::open(std::move(path), load_orchestrator_config);
}

inline Result<AgentConfigHolder> open_agent_config(std::string path) {
  return AgentConfigHolder::open(std::move(path), load_agent_config);
}

}  // namespace baton::config
