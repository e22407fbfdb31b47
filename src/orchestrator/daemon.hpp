// batond: the orchestrator daemon's shell around GroupCore (group.hpp). It owns the event loop,
// the XDP data path, the VRRP service (one sync group over every segment), the two UDP channels
// (agents, peer orchestrator), the API socket, the metrics endpoint and the signals, and
// carries out the core's effects.
//
// Signals: SIGTERM/SIGINT: planned exit: resign VRRP (the peer takes over), then exit leaving
// the XDP program and its maps pinned, so that forwarding continues while the daemon is away
// and the next start takes them over. SIGHUP: reload the configuration; a bad file is refused
// and the running one kept.
#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"

namespace baton::orchestrator {

struct DaemonOptions {
  std::string config_path;
  std::string log_level;  // overrides the file's log_level when set
};

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> create(const DaemonOptions& options);
  virtual ~Daemon() = default;
  // Runs until SIGTERM/SIGINT (after resigning) or a fatal error.
  virtual Status run() = 0;
};

}  // namespace baton::orchestrator
