// The agent's HyperSync shell (DESIGN §3, docs/hypersync.md): the thin I/O layer around
// sync::Replicator. It owns the sync UDP socket (on the member's sync address), the sync
// channel's Sealer and Gate, the conntrack Capture (events and periodic dumps) and Installer,
// and the timers; it feeds the Replicator and carries out what it returns.
//
// The agent's Shell hands it what the orchestrators say (our member id, GROUP_INFO, tables,
// TABLE_PREPARE) and learns through a callback when a prepared change is ready to answer.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/key.hpp"
#include "control/messages.hpp"
#include "sync/conntrack/capture.hpp"
#include "sync/conntrack/install.hpp"
#include "sync/gate.hpp"
#include "sync/replicator.hpp"
#include "vrrp/addr.hpp"
#include "vrrp/io/loop.hpp"

namespace baton::agent {

struct HyperSyncOptions {
  std::string member;
  vrrp::IpAddr address;  // our sync address; the socket binds it
  std::uint16_t port = 0;
  auth::Key master{std::span<const std::uint8_t>()};  // the group key (sync key derived)
  std::uint64_t epoch = 0;
  Duration dump_interval = std::chrono::seconds(5);  // timeout refresh and lost-event repair
  Duration want_resync_for = std::chrono::seconds(3);  // after start: ask peers to resync
};

class HyperSync {
 public:
  using PreparedFn = std::function<void(std::size_t orchestrator, std::uint64_t generation,
                                        std::uint64_t connections)>;

  static Result<std::unique_ptr<HyperSync>> open(HyperSyncOptions o, vrrp::io::Loop& loop,
                                                 PreparedFn prepared);
  ~HyperSync();
  HyperSync(const HyperSync&) = delete;
  HyperSync& operator=(const HyperSync&) = delete;

  void on_member_id(dist::MemberId id);
  void on_group_info(const control::GroupInfo& g);
  // A TABLE_PUSH from orchestrator `index`.
  void on_table(std::size_t index, const dist::Table& t);
  void on_prepare(std::size_t index, const dist::Table& next);

  nlohmann::json status() const;
  // Where a connection stands on this member: bucket, owner, successor, whether the kernel
  // holds it and in what state (for `flow` lookups).
  nlohmann::json flow(const sync::ConnKey& k);
  // The same question from an orchestrator (batonctl flow).
  control::FlowReply flow_reply(const control::FlowQuery& q);

 private:
  HyperSync(HyperSyncOptions o, vrrp::io::Loop& loop, PreparedFn prepared);
  Status start();
  void on_capture();
  void on_socket();
  void on_dump();
  void flush(std::vector<sync::Outgoing>&& out);
  void install(const sync::KernelOps& k);
  void after_work();
  void rearm();

  HyperSyncOptions opts_;
  vrrp::io::Loop& loop_;
  PreparedFn prepared_;
  std::unique_ptr<sync::ct::Capture> capture_;
  std::unique_ptr<sync::ct::Installer> installer_;
  std::unique_ptr<sync::Sealer> sealer_;
  std::unique_ptr<sync::Gate> gate_;
  std::unique_ptr<sync::Replicator> rep_;
  std::unordered_map<std::uint32_t, vrrp::IpAddr> peer_addr_;  // node id -> sync address
  std::unordered_map<std::uint32_t, std::uint16_t> peer_port_;
  int sock_ = -1;
  std::size_t prepare_from_ = 0;
  std::optional<std::size_t> table_from_;
  TimerId timer_ = 0;
  TimerId dump_timer_ = 0;
  TimerId resync_timer_ = 0;
  std::uint64_t lost_seen_ = 0;
  std::uint64_t send_errors_ = 0;
  std::uint64_t install_failures_ = 0;
  std::uint64_t installed_ = 0;
  std::uint64_t removed_ = 0;
  std::uint64_t expired_ = 0;
  std::string last_install_error_;
  std::vector<std::uint8_t> buf_;
};

}  // namespace baton::agent
