// baton-probe client: K long-lived TCP connections whose echoed byte streams are checked end
// to end, and a sequenced UDP stream, to a baton-probe server through the group. Results go
// to a Recorder, window by window; the drill marks events over a Unix control socket.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "probe/recorder.hpp"

namespace baton::probe {

struct ClientOptions {
  std::string server;
  std::uint16_t port = 7007;
  std::uint32_t tcp = 16;              // connections
  std::uint32_t udp_rate = 1000;       // datagrams per second
  std::uint32_t tcp_chunk = 64;        // bytes written per connection per tick
  std::uint32_t tcp_interval_ms = 10;  // write tick
  double duration_s = 0;               // 0: until `stop` on the control socket or a signal
  std::string control;                 // Unix socket path; empty: none
  std::uint32_t grace_ms = 300;        // after stopping, wait this long for late echoes
};

// Runs the probe; returns the windows it recorded.
Result<std::vector<WindowReport>> run_client(const ClientOptions& opt);

}  // namespace baton::probe
