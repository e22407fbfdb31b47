// baton-vrrpd: a one-instance VRRP Service (service.hpp, which does the VRRP work: sockets,
// virtual-MAC link, addresses, timers, heartbeat) in a Loop of its own, with the signals
// and the status file.
//
// Signals: SIGTERM/SIGINT resign (priority 0) and exit; SIGUSR1 planned switchover (resign,
// stay backup); SIGUSR2 withdraw the resignation.
//
// Make-before-break on a planned switchover: when we resign, the addresses stay on our
// virtual-MAC link until the new master's first advert is heard (bounded by the
// master-down interval), so packets already on their way to us are still answered while
// the new master announces itself. With use_vmac, clients never even change their ARP
// entry: the bridges move the virtual MAC when the new master's gratuitous ARP passes.
#pragma once

#include <memory>

#include "core/result.hpp"
#include "vrrp/io/options.hpp"

namespace baton::vrrp::io {

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> create(DaemonOptions options);
  virtual ~Daemon() = default;
  // Runs until SIGTERM or SIGINT (after resigning) or a fatal I/O error.
  virtual Status run() = 0;
};

}  // namespace baton::vrrp::io
