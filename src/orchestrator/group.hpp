// GroupCore: the one owner of the group's state in batond (DESIGN §6, §8). A pure state
// machine: agent messages (already authenticated), operator requests, the peer's table and the
// current time go in; effects come out (install this table, set these member ports, send these
// messages, write these audit lines). No sockets, no clock, no BPF in here; shell.cpp does I/O.
//
// The table is a pure function of (base members, removed members in order of removal):
// base = the configured members and spares with their weights; a member leaves service
// (failed, admin down, never registered, in the spare pool) by a failure patch appended to
// the removed list, and comes back by leaving it. A spare is thus a member that starts out of
// service: taking it into service moves only the buckets it gets. Each change is a new generation. The active orchestrator computes; the standby
// adopts the active's tables (pushed over the peer channel) and computes its own only while it
// has no peer, so that on takeover it continues from the active's last generation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/orchestrator.hpp"
#include "control/header.hpp"
#include "control/messages.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "dist/table.hpp"
#include "orchestrator/member.hpp"

namespace baton::orchestrator {

enum class Role : std::uint8_t { standby, active };
std::string_view role_name(Role r);

struct GroupSettings {
  std::vector<config::MemberConfig> members;
  std::vector<config::MemberConfig> spares;
  std::uint32_t buckets = dist::kDefaultBuckets;
  std::uint32_t orchestrator_id = 1;
  Duration heartbeat_interval = std::chrono::milliseconds(10);
  std::uint32_t miss_count = 3;
  // How often an unconfirmed operator command is sent again to its agent.
  Duration command_retry = std::chrono::milliseconds(100);
  // After our start, members still serving in a table we took over keep serving this long
  // while their agents register with us.
  Duration registration_grace = std::chrono::seconds(5);
  // A planned change (admin down/up, a member returning) waits at most this long for the
  // members to hand the moving buckets' connections over; then it is committed anyway.
  Duration prepare_timeout = std::chrono::seconds(2);
  // Two or more members silent at once are judged after this many times the usual limit.
  std::uint32_t shared_silence_factor = 5;
};

// A planned change being prepared (docs/hypersync.md, "Planned changes"): the next table is
// computed but not live; the members that own moving buckets are handing their connections
// to the new owners. It is committed when all of them said TABLE_PREPARED, or at the timeout.
struct PendingChange {
  dist::Table table;
  std::vector<dist::MemberId> removed;
  std::string why;
  TimePoint started{};
  TimePoint sent{};                      // when TABLE_PREPARE last went out
  std::vector<dist::MemberId> waiting;   // members still to answer
  std::uint64_t handed_over = 0;         // connections the members reported handing over
};

// Where an effect is going: a member's agent (its session is in the registry).
struct SendToMember {
  dist::MemberId member = 0;
  control::Body body;
};

// Set (mac) or clear (nullopt) how `member` is reached on side 0 (ext) or 1 (int).
struct PortUpdate {
  dist::MemberId member = 0;
  int side = 0;
  std::optional<Mac> mac;
};

struct Effects {
  std::optional<dist::Table> table;  // a new generation to install in the data path
  std::vector<PortUpdate> ports;
  std::vector<SendToMember> sends;
  std::vector<std::string> audit;  // operator actions: who, why, what changed
  std::vector<std::string> log;    // decisions with their inputs (info level)
  void merge(Effects&& o);
};

struct AdminRequest {
  std::string name;
  control::Admin state = control::Admin::down;
  bool persistent = false;
  std::string who;     // login name the client sent
  std::string reason;
  std::string caller;  // "uid 0 pid 1234", from the socket
};

// `batonctl member add|remove`: a spare into service, or back to the pool.
enum class PoolAction : std::uint8_t { add, remove };
struct PoolRequest {
  std::string name;
  PoolAction action = PoolAction::add;
  std::string who;
  std::string reason;
  std::string caller;
};

// `batonctl member weight NAME W`: the member's share of the buckets from now on (until both
// orchestrators restart: the configuration's weight is the one a fresh start uses).
struct WeightRequest {
  std::string name;
  std::uint32_t weight = 0;
  std::string who;
  std::string reason;
  std::string caller;
};

struct AdminOutcome {
  bool changed = false;
  MemberState state = MemberState::unregistered;
  std::uint64_t generation = 0;
};

class GroupCore {
 public:
  static Result<GroupCore> create(GroupSettings settings, TimePoint now);

  // --- agent messages (authenticated by the shell) ---
  Effects on_register(TimePoint now, const control::Header& h, const control::Register& r,
                      std::string from);
  Effects on_heartbeat(TimePoint now, const control::Header& h, const control::Heartbeat& hb);
  Effects on_command_result(TimePoint now, const control::Header& h,
                            const control::CommandResult& r);
  Effects on_table_ack(TimePoint now, const control::Header& h, const control::TableAck& a);
  Effects on_table_prepared(TimePoint now, const control::Header& h,
                            const control::TablePrepared& p);

  // --- carrier on the member's ports (the shell watches them) ---
  // Loss of carrier on any port fails the member at once; once every port has carrier again
  // it returns as soon as its heartbeats are fresh.
  Effects on_carrier(TimePoint now, dist::MemberId member, const std::string& port, bool carrier);

  // --- time: heartbeat misses, command retries ---
  // Call often (every few ms). A tick that comes more than a heartbeat interval after the
  // previous one judges no member: the caller was stalled and may not have read the
  // heartbeats that arrived meanwhile.
  Effects tick(TimePoint now);

  // --- operator ---
  Result<std::pair<AdminOutcome, Effects>> admin(TimePoint now, const AdminRequest& req);

  Result<std::pair<AdminOutcome, Effects>> pool(TimePoint now, const PoolRequest& req);
  // A planned change too: the buckets that move are handed over first.
  Result<std::pair<AdminOutcome, Effects>> set_weight(TimePoint now, const WeightRequest& req);

  // --- high availability ---
  Effects set_role(TimePoint now, Role role);
  // The active's table, as its peer channel pushed it (standby side).
  Effects adopt_peer_table(TimePoint now, const dist::Table& table);
  // Whether a peer is there to follow (the standby computes its own tables while it is not).
  Effects set_peer_present(TimePoint now, bool present);
  // What the active decided besides the table (spares in service, the change it prepares),
  // for its standby; and the standby's side of it.
  control::PeerState peer_state() const;
  Effects adopt_peer_state(TimePoint now, const control::PeerState& state);
  // The active peer's planned change, as its last PEER_STATE told us (standby side).
  const std::optional<PendingChange>& peer_pending() const { return peer_pending_; }

  // --- queries ---
  const std::vector<Member>& members() const { return members_; }
  const Member* find(std::string_view name) const;
  const Member* find_id(dist::MemberId id) const;
  const Member* find_node(std::uint32_t node_id) const;
  const dist::Table& table() const { return table_; }
  const std::optional<PendingChange>& pending() const { return pending_; }
  const std::vector<dist::MemberId>& removed() const { return removed_; }
  Role role() const { return role_; }
  bool following_peer() const { return role_ == Role::standby && peer_present_; }
  std::uint32_t unknown_registrations() const { return unknown_registrations_; }

 private:
  GroupCore(GroupSettings s, std::vector<dist::MemberSpec> base, dist::Table empty);
  Member* find_mut(std::string_view name);
  Member* find_node_mut(std::uint32_t node_id);
  Member* find_id_mut(dist::MemberId id);
  void set_state(Member& m, MemberState s, TimePoint now, std::string reason, Effects& fx);
  // Brings the removed list in line with the members' states; a new generation if it moved.
  void recompute(TimePoint now, Effects& fx, std::string_view why);
  bool in_service(const Member& m, TimePoint now) const;
  void send_command(Member& m, TimePoint now, Effects& fx);
  // Whether leaving `next` for `removed_` is planned: nobody in it was lost by failure.
  bool planned(const std::vector<dist::MemberId>& next) const;
  // Members that own buckets moving from table_ to `next` and can hand their connections over.
  std::vector<dist::MemberId> handing_over(const dist::Table& next) const;
  void send_prepare(TimePoint now, Effects& fx);
  void commit(dist::Table t, std::vector<dist::MemberId> removed, std::string why, Effects& fx);
  // A spare into service (`in` true) or back to the pool; its state follows.
  void set_pool(Member& m, bool in, TimePoint now, const std::string& why, Effects& fx);
  // Whether `base` has our members (ids); and taking the active peer's weights from it.
  bool same_members(const std::vector<dist::MemberSpec>& base) const;
  void adopt_weights(const std::vector<dist::MemberSpec>& base, Effects& fx);
  // On takeover: carry on with the planned change the active peer was preparing.
  void resume_peer_pending(TimePoint now, Effects& fx);

  GroupSettings settings_;
  std::vector<dist::MemberSpec> base_;  // members and spares with their weights, by id
  std::vector<Member> members_;  // members then spares, in configuration order
  std::vector<dist::MemberId> removed_;
  dist::Table table_;
  std::optional<PendingChange> pending_;
  std::optional<PendingChange> peer_pending_;
  std::uint64_t last_generation_ = 0;  // the highest generation computed (committed or not)
  Role role_ = Role::standby;
  bool peer_present_ = false;
  std::uint32_t next_command_ = 1;
  std::uint32_t unknown_registrations_ = 0;
  TimePoint grace_until_{};
  std::optional<TimePoint> last_tick_;
  bool grace_over_ = false;
  bool shared_silence_logged_ = false;
};

}  // namespace baton::orchestrator
