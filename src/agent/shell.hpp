// The agent's I/O shell (DESIGN §8: a thin shell around AgentCore): one connected UDP socket
// per orchestrator, the control channel's Sender and Receiver, the event loop and its timer,
// the load meter, admin.json, and the local JSON API (docs/api.md) on a Unix socket.
//
//   auto shell = Shell::open({.config_path = "/etc/baton/baton-agent.yaml"});
//   shell->run();    // until stop()
//
// Signals are the program's: main.cpp turns SIGHUP into reload() and SIGTERM/SIGINT into
// stop(). stop() may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/core.hpp"
#include "agent/hypersync.hpp"
#include "agent/load.hpp"
#include "api/json_socket.hpp"
#include "auth/key_file.hpp"
#include "config/holder.hpp"
#include "control/receiver.hpp"
#include "control/sender.hpp"
#include "vrrp/io/loop.hpp"

namespace baton::agent {

struct ShellOptions {
  std::string config_path;
  auth::KeyFileRules key_rules;  // the key file's required owner: root
  std::string root = "/";        // where /proc and /sys are read
  Duration load_period = std::chrono::seconds(1);
};

class Shell {
 public:
  // Loads the config, the key, admin.json and the session epoch, opens the sockets and the
  // API. Every error names what was wrong (file and line for the config).
  static Result<std::unique_ptr<Shell>> open(ShellOptions o);
  ~Shell();
  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;

  Status run();
  void stop();    // any thread
  void reload();  // SIGHUP: re-read the config; a bad file keeps the running one
  vrrp::io::Loop& loop() { return *loop_; }
  const config::AgentConfig& config() const { return config_->current(); }

  // The local API (public for tests of the handler's contract).
  Result<nlohmann::json> handle(const nlohmann::json& request, const api::Caller& caller);

 private:
  Shell() = default;
  Status start();
  void apply(const Effects& effects, std::string* persist_error = nullptr);
  void rearm();
  void on_readable(std::size_t i);
  void on_load();
  void to_hypersync(std::size_t i, const control::Message& m);
  Result<nlohmann::json> flow_request(const nlohmann::json& request);
  nlohmann::json status() const;
  nlohmann::json admin_json() const;
  Result<nlohmann::json> admin_request(const nlohmann::json& request, const api::Caller& caller);

  ShellOptions opts_;
  std::unique_ptr<config::ConfigHolder<config::AgentConfig>> config_;
  std::unique_ptr<vrrp::io::Loop> loop_;
  std::unique_ptr<control::Sender> sender_;
  std::unique_ptr<control::Receiver> receiver_;
  std::unique_ptr<AgentCore> core_;
  std::unique_ptr<LoadMeter> meter_;
  std::unique_ptr<api::JsonServer> api_;
  std::string state_dir_;  // as at start: a reload changes it only at the next restart
  std::vector<int> socks_;
  std::vector<std::string> peers_;  // "address:port" per orchestrator
  std::vector<std::uint8_t> rx_buf_;
  int stop_fd_ = -1;                // eventfd: stop() from any thread
  TimerId timer_ = 0;
  TimerId load_timer_ = 0;
  std::uint64_t send_errors_ = 0;
  std::vector<std::string> load_errors_;
  std::uint32_t warned_drops_ = 0;  // bit per drop reason already logged at warn
  std::unique_ptr<HyperSync> hs_;   // last: goes before the loop it watches
};

}  // namespace baton::agent
