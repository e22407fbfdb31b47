// batond's shell, the parts shared by daemon.cpp (wiring, effects, signals), peer.cpp (the
// orchestrator <-> orchestrator channel) and api_handler.cpp (the local API).
#pragma once

#include <map>

#include "orchestrator/api_request.hpp"
#include <mutex>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/json_socket.hpp"
#include "auth/key.hpp"
#include "bpf/datapath.hpp"
#include "config/orchestrator.hpp"
#include "orchestrator/carrier.hpp"
#include "orchestrator/channel.hpp"
#include "orchestrator/daemon.hpp"
#include "orchestrator/group.hpp"
#include "vrrp/io/loop.hpp"
#include "vrrp/io/service.hpp"

namespace baton::api {
class MetricsServer;
}

namespace baton::orchestrator {

// How often the shell ticks the core (heartbeat misses are judged on these ticks).
inline constexpr Duration kTick = std::chrono::milliseconds(2);
// Peer channel: keepalive period, table push period, and silence after which the peer is gone.
inline constexpr Duration kPeerKeepalive = std::chrono::milliseconds(50);
inline constexpr Duration kPeerTablePeriod = std::chrono::milliseconds(200);
inline constexpr Duration kPeerTimeout = std::chrono::milliseconds(300);

struct PeerSession {
  Peer address;
  std::optional<std::uint32_t> node_id;
  std::uint64_t epoch = 0;
  std::optional<TimePoint> last_heard;
  TimePoint last_sent{};
  TimePoint last_push{};
  std::uint64_t pushed_generation = 0;
  std::uint64_t tables_adopted = 0;
  std::optional<control::PeerState> pushed_state;  // the last PEER_STATE sent
};

class DaemonImpl final : public Daemon {
 public:
  DaemonImpl(DaemonOptions o, config::OrchestratorConfig c, auth::Key key, vrrp::io::Loop loop,
             GroupCore core, std::uint64_t epoch);
  ~DaemonImpl() override;
  Status init();
  Status run() override;

  // api_handler.cpp
  Result<nlohmann::json> handle_api(const nlohmann::json& req, const api::Caller& caller);

 private:
  // daemon.cpp
  Status open_datapath();
  Status open_vrrp();
  Status open_signals();
  Status open_carrier();
  void on_signal();
  void reload();
  void schedule_tick();
  void tick();
  void apply(Effects&& fx);
  void on_control(const control::Received& r, const Peer& from);
  void push_table_to_agent(const Member& m);
  control::GroupInfo group_info() const;
  void check_cut_off(TimePoint now);
  bool cut_off_ = false;  // advertising priority 1 (see check_cut_off)
  std::optional<TimePoint> peer_back_since_;  // the peer present without a break since
  void write_audit(const std::string& line);
  // metrics.cpp
  Status open_metrics();
  void refresh_metrics();
  // ha.cpp
  void peer_tick(TimePoint now);
  void on_peer(const control::Received& r, const Peer& from);
  void push_table_to_peer(TimePoint now);
  void push_state_to_peer(bool only_if_changed);
  bool peer_present(TimePoint now) const;
  // api_handler.cpp
  Result<nlohmann::json> member_change(Result<std::pair<AdminOutcome, Effects>> out,
                                       const std::string& name);
  nlohmann::json show_status(TimePoint now) const;
  nlohmann::json show_members(TimePoint now) const;
  nlohmann::json show_distribution() const;
  nlohmann::json show_vrrp() const;
  // batonctl flow (flow_lookup.cpp).
  Result<nlohmann::json> flow_start(const FlowRequest& r);
  Result<nlohmann::json> flow_result(std::uint32_t query);
  void on_flow_reply(const control::Header& h, const control::FlowReply& r);
  struct FlowQueryState {
    TimePoint started{};
    std::string text;
    std::vector<dist::MemberId> asked;
    std::map<dist::MemberId, control::FlowReply> replies;
  };
  std::map<std::uint32_t, FlowQueryState> flow_queries_;
  std::uint32_t next_flow_query_ = 1;

  DaemonOptions options_;
  config::OrchestratorConfig cfg_;
  auth::Key key_;
  vrrp::io::Loop loop_;
  GroupCore core_;
  std::uint64_t epoch_;
  TimePoint started_;
  std::unique_ptr<bpf::Datapath> datapath_;
  std::array<bpf::Mac, 2> downlink_mac_{};
  std::unique_ptr<vrrp::io::Service> vrrp_;
  std::unique_ptr<Channel> control_;
  std::unique_ptr<Channel> peer_channel_;
  std::unique_ptr<CarrierWatch> carrier_;
  std::map<std::string, dist::MemberId> port_member_;  // configured port -> its member
  std::optional<PeerSession> peer_;
  std::unique_ptr<api::JsonServer> api_;
  std::unique_ptr<api::MetricsServer> metrics_;
  std::mutex metrics_mu_;
  std::string metrics_text_;
  TimePoint metrics_refreshed_{};
  TimePoint agents_pushed_{};
  std::map<dist::MemberId, Peer> agent_addr_;
  std::map<std::uint32_t, TimePoint> resync_sent_;
  int signal_fd_ = -1;
  bool stopping_ = false;
  std::uint64_t table_errors_ = 0;
};

}  // namespace baton::orchestrator
