// The VRRP engine, embeddable: one VRRP instance per segment (ext, int, dl-ext, dl-int; one
// per address family), all bound in one sync group so they fail over together, plus the
// optional sync-link heartbeat. It runs inside its owner's Loop (batond's, or baton-vrrpd's
// in daemon.cpp): it watches its own fds and arms its own timers there, and has no signal
// handling and no status file of its own.
//
// It feeds the pure core (SyncGroup) with what arrives and the time, and carries out the
// effects: adverts, the virtual-MAC macvlans, the addresses (netlink), gratuitous ARP / NA
// on the back-off schedule, and make-before-break on resignation.
//
// Callbacks, when the group's state (GroupState, sync_group.hpp) changes as the result of
// one event:
//   on_before_master()          becoming master: before any address is added, any advert or
//                               announcement sent (DESIGN §4: tables and state first, then
//                               addresses, then advertisements). Install the tables here.
//   on_state(old, now, reason)  after that event's effects were carried out (for master:
//                               addresses added, first adverts sent; for backup or fault:
//                               addresses removed, except those held by a resignation until
//                               the new master is heard). `reason` names the instance and
//                               why, e.g. "ext: master-down timer expired".
// A callback may read status() and state(). Calls that change something (resign,
// unresign, set_health, set_priority_all, shutdown) made from inside a callback run right
// after the current event's effects are carried out, in the order made.
//
// Ending:
//   shutdown(done)   the exit on SIGTERM: if master, resign (priority 0) and keep the
//                    addresses until the new master's first advert (bounded by the longest
//                    master-down interval); then every instance sends priority 0 if still
//                    master, removes its addresses, its macvlan is deleted, the heartbeat
//                    and sockets are closed, and done() is called (at once if not master).
//   destructor       without shutdown() (or before it finished): releases at once, no
//                    make-before-break (priority 0 from a master, addresses removed,
//                    macvlans deleted), logging a warning if it held addresses; callbacks,
//                    pending calls and shutdown's done() are not called. The process never keeps
//                    addresses it no longer advertises. (Only a crash, kill -9, leaves them:
//                    the macvlans outlive the process, as after keepalived's kill -9.)
// Destroy the Service before its Loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "vrrp/io/heartbeat.hpp"
#include "vrrp/io/instance_io.hpp"
#include "vrrp/io/loop.hpp"
#include "vrrp/io/service_options.hpp"
#include "vrrp/machine.hpp"
#include "vrrp/sync_group.hpp"

namespace baton::vrrp::io {

struct InstanceStatus {
  std::string segment;
  std::string name;       // the instance's name (Config::name) in logs
  std::string interface;
  bool interface_up = false;
  std::string vmac;       // macvlan name, empty without use_vmac
  Family family = Family::ipv4;
  std::uint8_t vrid = 0;
  State state = State::initialize;
  std::uint8_t priority = 0;  // current (after tracking penalties)
  bool resigned = false;
  IpAddr primary;
  std::optional<IpAddr> master;  // the last master heard (backup)
  Duration master_down_interval{0};
  InstanceCounters counters;     // adverts rx/tx, drops by reason, transitions, ...
};

struct HeartbeatStatus {
  PeerState peer = PeerState::unknown;
  bool peer_serving = false;
  HeartbeatStats stats;
  std::uint64_t dropped = 0;  // datagrams that were not a valid heartbeat message
};

struct ServiceStatus {
  std::string group;
  GroupState state = GroupState::initialize;
  bool stopped = false;  // shutdown finished
  std::vector<InstanceStatus> instances;  // in ServiceOptions order
  std::optional<HeartbeatStatus> heartbeat;
};

struct ServiceCallbacks {
  std::function<void()> on_before_master;
  std::function<void(GroupState old, GroupState now, const std::string& reason)> on_state;
};

class Service {
 public:
  // Checks the options (finish_service_options), opens every instance's sockets and
  // macvlan and the heartbeat, and watches them in `loop`. Nothing is sent before start().
  static Result<std::unique_ptr<Service>> create(Loop& loop, ServiceOptions opts,
                                                 ServiceCallbacks cb = {});
  virtual ~Service() = default;

  // Leaves initialize (an owner, priority 255, becomes master at once; the others backup).
  virtual void start() = 0;
  // Planned switchover: a master sends priority 0 and becomes backup (keeping its addresses
  // until the new master is heard); the group then does not preempt until unresign().
  virtual void resign() = 0;
  virtual void unresign() = 0;
  // A tracked health source's grade 0..100 (TrackConfig of kind health), to every instance.
  virtual void set_health(std::string_view source, std::uint8_t grade) = 0;
  // Every instance's configured priority (1..254; owners keep 255), advertised at once by a
  // master; a backup now higher preempts on the master's next advert.
  virtual void set_priority_all(std::uint8_t priority) = 0;
  // See the file comment. `done` is called once, always later from the loop (never from
  // inside shutdown()), and may destroy the Service. A second call adds its `done`.
  virtual void shutdown(std::function<void()> done) = 0;

  virtual GroupState state() const = 0;
  virtual ServiceStatus status() const = 0;
};

}  // namespace baton::vrrp::io
