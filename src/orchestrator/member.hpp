// What the orchestrator knows about one member: configuration, the agent's session, health,
// admin state and load. Owned by GroupCore (group.hpp); read-only for everything else.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "control/messages.hpp"
#include "core/clock.hpp"
#include "dist/table.hpp"

namespace baton::orchestrator {

// spare: in the pool, no buckets. unregistered: configured, its agent not heard yet.
// active: in the table. failed: heartbeats missed. down: admin down (agent or operator).
enum class MemberState : std::uint8_t { unregistered, active, failed, down, spare };
std::string_view member_state_name(MemberState s);

using Mac = std::array<std::uint8_t, 6>;

// Who set an admin state, and why (the audit trail of DESIGN §6).
struct AdminRecord {
  control::Admin state = control::Admin::up;
  bool persistent = false;
  std::string who;
  std::string reason;
  TimePoint since{};
};

struct AgentSession {
  std::uint32_t node_id = 0;  // the agent's control-channel node id
  std::uint64_t epoch = 0;    // its session epoch
  std::string address;        // where its REGISTER came from ("ip:port"), for logs and replies
};

struct Member {
  std::string name;
  dist::MemberId id = 0;
  std::uint32_t weight = 0;
  bool spare = false;      // in the spare pool now: no buckets (`member add` takes it out)
  bool from_pool = false;  // configured under `spares:` (`member remove` puts it back)
  MemberState state = MemberState::unregistered;
  TimePoint state_since{};
  std::string state_reason;  // why it is in this state, for `show members` and logs

  std::optional<AgentSession> agent;
  std::optional<TimePoint> last_heartbeat;
  control::Load load;
  std::uint64_t agent_generation = 0;  // the table generation the agent says it runs
  AdminRecord admin;                   // as the agent reports it (it persists -p)
  std::optional<AdminRecord> requested;  // an operator's change not yet confirmed by the agent
  std::optional<std::uint32_t> pending_command;  // id of the command carrying `requested`
  TimePoint command_sent{};
  std::array<std::optional<Mac>, 2> mac;  // index 0: ext side, 1: int side
  std::array<bool, 2> mac_configured{};   // from the configuration: the agent's does not replace it
  control::SyncEndpoint sync;  // where its agent takes HyperSync traffic (family 0: none)
  bool hypersync = false;      // its agent announced the HyperSync capability
  std::set<std::string> ports_down;  // its configured ports without carrier (then: failed)

  // The admin state in force: the operator's pending request wins over the agent's report.
  const AdminRecord& effective_admin() const { return requested ? *requested : admin; }
  bool admin_down() const { return effective_admin().state == control::Admin::down; }
};

}  // namespace baton::orchestrator
