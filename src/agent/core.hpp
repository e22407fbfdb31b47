// AgentCore: the member agent's protocol engine (DESIGN §8: a pure core). It is fed events
// with the current time and returns effects; it owns no socket, clock or file.
//
//   - registration with each configured orchestrator (one or two): REGISTER, retried with
//     exponential back-off until a REGISTER_ACK, which gives the member id, the orchestrator's
//     node id and session epoch, and the heartbeat interval;
//   - a HEARTBEAT every interval to every orchestrator that acknowledged us;
//   - TABLE_PUSH → remember the generation, answer TABLE_ACK;
//   - COMMAND admin_down / admin_up / resync → COMMAND_RESULT;
//   - local admin requests (clusterXL_admin) change the same admin state;
//   - re-registration when an orchestrator speaks from a new session, names an old session of
//     ours, or has been silent for `silence` (it may have restarted and lost us). Heartbeats
//     go on meanwhile, so a live orchestrator sees no gap; after 2 × `silence` without an
//     answer the orchestrator counts as lost: no heartbeats until it acknowledges again.
//
// Admin semantics (docs/operator-guide.md, "clusterXL_admin"): `down` lasts until the agent
// restarts; `down -p` is persisted and applies again at every start; `up` brings the member
// up now (a persisted down stays on disk and applies again at the next start); `up -p` brings
// it up and removes the persisted down.
#pragma once

#include <spdlog/common.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "control/codec.hpp"
#include "control/messages.hpp"
#include "core/clock.hpp"

namespace baton::agent {

// The agent's node id on the control channel: derived from the member name (the agent has no
// id before the orchestrator assigns its member id). High bit set, so it never equals an
// orchestrator id (1-255); never 0.
std::uint32_t agent_node_id(std::string_view member_name);

// The admin state with the wall-clock time it was set (ms since 1970; 0: never set).
struct AdminRecord {
  control::AdminState state;
  std::int64_t since_ms = 0;
  bool operator==(const AdminRecord&) const = default;
};

struct CoreConfig {
  std::string member;
  std::uint32_t capabilities = control::kCapConntrackCount;
  std::vector<control::Interface> interfaces;
  control::SyncEndpoint sync;                             // family 0: no HyperSync
  std::size_t orchestrators = 1;                          // 1 or 2
  std::uint64_t self_epoch = 1;                           // our session epoch
  Duration register_retry_first = std::chrono::milliseconds(100);
  Duration register_retry_max = std::chrono::seconds(5);
  Duration silence = std::chrono::seconds(3);             // re-register after this much quiet
};

// Effects.
struct Send {
  std::size_t orchestrator = 0;  // index into the configured orchestrators
  std::uint32_t recipient_id = control::kAnyRecipient;
  std::uint64_t recipient_epoch = control::kUnknownEpoch;
  control::Body body;
};
// Write the persistent admin state (set), or remove it (empty).
struct Persist {
  std::optional<AdminRecord> record;
};
struct LogLine {
  spdlog::level::level_enum level = spdlog::level::info;
  std::string text;
};
using Effect = std::variant<Send, Persist, LogLine>;
using Effects = std::vector<Effect>;

struct AdminRequest {
  control::Admin state = control::Admin::up;
  bool persistent = false;
  std::string who;
  std::string reason;
};

struct AdminOutcome {
  bool changed = false;
  std::string summary;  // one line: what changed (or why nothing did)
};

struct OrchestratorView {
  bool registered = false;
  std::uint32_t id = 0;
  std::uint64_t epoch = 0;
  dist::MemberId member_id = control::kAnyMemberId;
  std::uint32_t heartbeat_us = 0;
  std::uint64_t registers_sent = 0;
  std::uint64_t heartbeats_sent = 0;
};

class AgentCore {
 public:
  // `persisted`: the admin state found in state_dir at start (a persistent down), if any.
  AgentCore(CoreConfig cfg, std::optional<AdminRecord> persisted);

  // Sends the first REGISTER to every orchestrator.
  Effects start(TimePoint now);
  // Sends whatever is due at `now` (REGISTER retries, heartbeats, silence re-registration).
  Effects tick(TimePoint now);
  // When tick() next has something to do.
  TimePoint next_deadline() const;

  // An accepted message from orchestrator `index`; `wall_ms` dates an admin change.
  Effects on_message(std::size_t index, const control::Message& m, TimePoint now,
                     std::int64_t wall_ms);
  // A message from orchestrator `index` dropped after its MAC verified (wrong session,
  // stale...): Received::authentic_header.
  Effects on_authentic_drop(std::size_t index, const control::Header& h, TimePoint now);
  // HyperSync has handed over the moving connections of the TABLE_PREPARE that orchestrator
  // `index` sent: answer TABLE_PREPARED.
  Effects prepared(std::size_t index, std::uint64_t generation, std::uint64_t connections);
  // An answer to a message orchestrator `index` sent (the shell's, e.g. a FLOW_REPLY).
  Effects answer(std::size_t index, const control::Header& h, control::Body body) const {
    return Effects{reply(index, h, std::move(body))};
  }
  // clusterXL_admin. `wall_ms`: the wall clock, recorded as "since".
  Effects on_admin(const AdminRequest& r, std::int64_t wall_ms, AdminOutcome& outcome);

  void set_load(const control::Load& l) { load_ = l; }
  const AdminRecord& admin() const { return admin_; }
  // What is on disk: a persistent down that applies at the next start, if any.
  const std::optional<AdminRecord>& persisted() const { return persisted_; }
  std::uint64_t generation() const { return generation_; }
  const control::Load& load() const { return load_; }
  const OrchestratorView& orchestrator(std::size_t i) const { return orch_.at(i).view; }
  std::size_t orchestrators() const { return orch_.size(); }

 private:
  struct Orch {
    OrchestratorView view;
    TimePoint next_register{};
    Duration backoff{};
    TimePoint next_heartbeat{};
    TimePoint last_heard{};
  };

  Send register_message(std::size_t i) const;
  Send heartbeat_message(std::size_t i) const;
  void send_register(std::size_t i, TimePoint now, Effects& out);
  void want_register(std::size_t i, TimePoint now, const char* why, Effects& out);
  void on_register_ack(std::size_t i, const control::Header& h, const control::RegisterAck& a,
                       TimePoint now, Effects& out);
  void on_command(std::size_t i, const control::Header& h, const control::Command& c,
                  std::int64_t wall_ms, Effects& out);
  Send reply(std::size_t i, const control::Header& h, control::Body body) const;
  AdminOutcome apply_admin(const AdminRequest& r, std::int64_t wall_ms, Effects& out);

  CoreConfig cfg_;
  std::vector<Orch> orch_;
  AdminRecord admin_;
  std::optional<AdminRecord> persisted_;
  std::uint64_t generation_ = 0;
  control::Load load_;
};

}  // namespace baton::agent
