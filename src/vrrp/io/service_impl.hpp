// Service's implementation (private to service*.cpp): service.cpp holds the group glue
// (events in, effects out, callbacks, shutdown), service_heartbeat.cpp the sync-link
// heartbeat's part.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vrrp/io/heartbeat.hpp"
#include "vrrp/io/heartbeat_link.hpp"
#include "vrrp/io/instance_io.hpp"
#include "vrrp/io/netlink.hpp"
#include "vrrp/io/service.hpp"
#include "vrrp/sync_group.hpp"
#include "vrrp/timers.hpp"

namespace baton::vrrp::io {

class ServiceImpl final : public Service {
 public:
  ServiceImpl(Loop& loop, ServiceOptions o, ServiceCallbacks cb, std::unique_ptr<Netlink> nl)
      : loop_(loop), opt_(std::move(o)), cb_(std::move(cb)), nl_(std::move(nl)) {}
  ~ServiceImpl() override;

  Status init();

  void start() override;
  void resign() override;
  void unresign() override;
  void set_health(std::string_view source, std::uint8_t grade) override;
  void set_priority_all(std::uint8_t priority) override;
  void shutdown(std::function<void()> done) override;
  GroupState state() const override { return group_->state(); }
  ServiceStatus status() const override;

 private:
  RealClock& clock() { return loop_.clock(); }
  // Runs `fn` now, or right after the current batch if called from inside a callback.
  void run_or_defer(std::function<void()> fn);
  void feed_all(const Event& e);
  void feed(std::size_t member, const Event& e);
  // Carries out one batch of effects, with the callbacks around it (service.cpp).
  void apply(const GroupEffects& effects);
  void carry_out(const TaggedEffect& t);
  void notify(GroupState before, GroupState after, const GroupEffects& effects);
  void check_shutdown_progress();
  void finish_shutdown(const char* why);
  void call_done();  // shutdown's done callbacks, from the loop
  // Shutdown to the core (priority 0, addresses removed), then macvlans deleted, fds
  // unwatched, heartbeat closed, timers cancelled. Idempotent.
  void release();

  void on_link_events();

  // service_heartbeat.cpp
  Status open_heartbeat();
  void on_heartbeat_readable();
  void heartbeat_tick();
  void rearm_heartbeat();
  void take_refusals();  // the link saw port unreachable: tell the detector
  void apply_heartbeat(const HeartbeatEffects& fx);
  void update_heartbeat_local();
  void close_heartbeat();

  Loop& loop_;
  ServiceOptions opt_;
  ServiceCallbacks cb_;
  std::unique_ptr<Netlink> nl_;
  std::vector<std::unique_ptr<InstanceIo>> io_;
  std::optional<LinkMonitor> monitor_;
  std::optional<SyncGroup> group_;
  std::unique_ptr<TimerBinding> timers_;
  std::vector<int> watched_;

  GroupState reported_ = GroupState::initialize;
  int callback_depth_ = 0;
  bool quiet_ = false;  // destroying: no callbacks
  std::vector<std::function<void()>> deferred_;
  std::optional<TimerId> deferred_timer_;

  bool started_ = false;
  bool stopped_ = false;
  bool shutting_down_ = false;
  std::optional<TimerId> shutdown_timer_;
  std::vector<std::function<void()>> shutdown_done_;
  std::optional<TimerId> done_timer_;

  std::optional<HeartbeatLink> hb_link_;
  std::optional<HeartbeatDetector> hb_;
  std::optional<TimerId> hb_timer_;
  std::uint64_t hb_drops_ = 0;
  std::uint64_t stalls_unlogged_ = 0;
  TimePoint last_stall_log_{};
};

}  // namespace baton::vrrp::io
