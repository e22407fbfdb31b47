// baton-probe: what clients of the group see. `server` echoes; `client` keeps K TCP
// connections and a sequenced UDP stream running through the group and reports, per window
// between marks, the longest gap, packets lost, connections broken and the longest stall.
#include <cstdio>

#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>

#include "core/log.hpp"
#include "probe/client.hpp"
#include "probe/report_format.hpp"
#include "probe/server.hpp"

int main(int argc, char** argv) {
  using namespace baton::probe;
  CLI::App app{"baton-probe: long-lived TCP connections and a sequenced UDP stream through a "
               "gateway group, and what they saw"};
  app.require_subcommand(1);
  std::string level = "info";
  app.add_option("--log-level", level, "trace, debug, info, warn, error or off");

  ServerOptions so;
  auto* server = app.add_subcommand("server", "echo every TCP byte and UDP datagram back");
  server->add_option("--listen", so.listen, "numeric address to listen on")->capture_default_str();
  server->add_option("--port", so.port, "TCP and UDP port")->capture_default_str();

  ClientOptions co;
  bool json = false;
  auto* client = app.add_subcommand("client", "run traffic to a server and report");
  client->add_option("--server", co.server, "numeric address of the baton-probe server")->required();
  client->add_option("--port", co.port, "server port")->capture_default_str();
  client->add_option("--tcp", co.tcp, "long-lived TCP connections")->capture_default_str()
      ->check(CLI::Range(0u, 10000u));
  client->add_option("--udp-rate", co.udp_rate, "UDP datagrams per second")->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  client->add_option("--tcp-chunk", co.tcp_chunk, "bytes per TCP write")->capture_default_str()
      ->check(CLI::Range(1u, 4096u));
  client->add_option("--tcp-interval-ms", co.tcp_interval_ms, "ms between TCP writes")
      ->capture_default_str()->check(CLI::Range(1u, 10000u));
  client->add_option("--duration", co.duration_s, "seconds to run; 0 = until 'stop' or a signal")
      ->capture_default_str()->check(CLI::Range(0.0, 86400.0));
  client->add_option("--control", co.control,
                     "Unix socket for 'mark NAME' (start a new window), 'report' (JSON so far), "
                     "'stop'");
  client->add_option("--grace-ms", co.grace_ms, "wait for late echoes after stopping")
      ->capture_default_str()->check(CLI::Range(0u, 10000u));
  client->add_flag("--json", json, "print the report as JSON");
  CLI11_PARSE(app, argc, argv);

  if (auto s = baton::log::setup("baton-probe", level); !s) {
    std::fprintf(stderr, "baton-probe: --log-level: %s\n", s.error().message.c_str());
    return 2;
  }
  if (*server) {
    auto s = run_server(so);
    if (!s) {
      std::fprintf(stderr, "baton-probe server: %s\n", s.error().message.c_str());
      return 1;
    }
    return 0;
  }
  if (co.duration_s == 0 && co.control.empty()) {
    std::fprintf(stderr, "baton-probe client: give --duration, or --control to stop it\n");
    return 2;
  }
  auto r = run_client(co);
  if (!r) {
    std::fprintf(stderr, "baton-probe client: %s\n", r.error().message.c_str());
    return 1;
  }
  std::fputs(json ? (to_json(*r).dump(2) + "\n").c_str() : to_table(*r).c_str(), stdout);
  return 0;
}
