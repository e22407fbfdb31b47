// baton-probe server: echoes every TCP byte and every UDP datagram back to its sender.
#pragma once

#include <string>

#include "core/result.hpp"

namespace baton::probe {

struct ServerOptions {
  std::string listen = "0.0.0.0";
  std::uint16_t port = 7007;
};

// Runs until SIGINT or SIGTERM. Fails only if it cannot set up its sockets.
Status run_server(const ServerOptions& opt);

}  // namespace baton::probe
