// The agent ↔ orchestrator control messages, version 1 (docs/protocols.md, "Control channel,
// version 1"). These are the decoded bodies; header.hpp is the common header and codec.hpp
// puts the two together with the MAC.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dist/table.hpp"

namespace baton::control {

enum class MessageType : std::uint8_t {
  register_ = 1,     // agent → orchestrator
  register_ack = 2,  // orchestrator → agent
  heartbeat = 3,     // agent → orchestrator
  table_push = 4,    // orchestrator → agent
  table_ack = 5,     // agent → orchestrator
  command = 6,       // orchestrator → agent
  command_result = 7, // agent → orchestrator
  group_info = 8,     // orchestrator → agent: distribution parameters, members' sync endpoints
  table_prepare = 9,  // orchestrator → agent: the next table, not yet live (planned change)
  table_prepared = 10, // agent → orchestrator: moving connections are on their new owners
  flow_query = 11,     // orchestrator → agent: do you hold this connection? (batonctl flow)
  flow_reply = 12,     // agent → orchestrator
  peer_state = 13      // orchestrator → orchestrator: the active's decisions besides the table
};
inline constexpr std::uint8_t kMaxMessageType = 13;

// "register", "register-ack", "heartbeat", "table-push", "table-ack", "command",
// "command-result", "group-info", "table-prepare", "table-prepared", "flow-query",
// "flow-reply", "peer-state"; "unknown" otherwise.
std::string_view message_type_name(MessageType t);

// Limits (checked by encoder and decoder alike).
inline constexpr std::size_t kMaxNameBytes = 64;      // member names: 1..64, bytes 0x21-0x7E
inline constexpr std::size_t kMaxIfnameBytes = 15;    // interface names (IFNAMSIZ - 1), same bytes
inline constexpr std::size_t kMaxWhoBytes = 64;       // who: 0..64, bytes 0x20-0x7E
inline constexpr std::size_t kMaxTextBytes = 256;     // reason/detail: 0..256, any byte but NUL
inline constexpr std::size_t kMaxInterfaces = 16;
inline constexpr std::size_t kMaxGroupMembers = 1024;  // entries in a GROUP_INFO
inline constexpr std::uint16_t kMaxCpuPermille = 1000;
inline constexpr std::uint32_t kMinHeartbeatUs = 1'000;
inline constexpr std::uint32_t kMaxHeartbeatUs = 10'000'000;
inline constexpr std::uint32_t kDefaultHeartbeatUs = 10'000;  // 10 ms
inline constexpr dist::MemberId kAnyMemberId = dist::kNoMember;  // "assign me one"

// Capability bits an agent announces; unknown bits are carried and ignored.
inline constexpr std::uint32_t kCapHyperSync = 1u << 0;
inline constexpr std::uint32_t kCapConntrackCount = 1u << 1;

enum class Side : std::uint8_t { external = 1, internal = 2, sync = 3 };
enum class Admin : std::uint8_t { up = 0, down = 1 };

struct Interface {
  Side side = Side::external;
  std::string name;                    // kernel interface name
  std::array<std::uint8_t, 6> mac{};
  bool operator==(const Interface&) const = default;
};

// A member's admin state as persisted on it (clusterXL_admin down -p): who set it and why.
struct AdminState {
  Admin state = Admin::up;
  bool persistent = false;
  std::string who;
  std::string reason;
  bool operator==(const AdminState&) const = default;
};

// Where a member's agent listens for HyperSync (docs/hypersync.md). family 0: none.
struct SyncEndpoint {
  std::uint8_t family = 0;                 // 0 (none), 4 or 6
  std::array<std::uint8_t, 16> address{};  // network order; IPv4 in the first 4 bytes
  std::uint16_t port = 0;
  bool operator==(const SyncEndpoint&) const = default;
};

struct Register {
  std::string name;
  dist::MemberId requested_id = kAnyMemberId;
  std::uint32_t capabilities = 0;
  std::vector<Interface> interfaces;
  AdminState admin;
  SyncEndpoint sync;  // family 0 if the member does not take part in HyperSync
  bool operator==(const Register&) const = default;
};

struct RegisterAck {
  dist::MemberId assigned_id = 0;
  std::uint32_t orchestrator_id = 0;
  std::uint32_t heartbeat_us = kDefaultHeartbeatUs;
  bool operator==(const RegisterAck&) const = default;
};

struct Load {
  std::uint16_t cpu_permille = 0;
  std::uint64_t packets_per_sec = 0;
  std::uint64_t bytes_per_sec = 0;
  std::uint64_t conntrack_count = 0;
  bool operator==(const Load&) const = default;
};

struct Heartbeat {
  Load load;
  std::uint64_t generation = 0;  // the table generation the agent runs (0: none yet)
  Admin admin = Admin::up;
  bool admin_persistent = false;
  bool operator==(const Heartbeat&) const = default;
};

// Carries the table in its wire form, kind inputs (dist/table_wire.hpp); the table's own
// generation is the push's generation.
struct TablePush {
  dist::Table table;
  bool operator==(const TablePush& o) const;
};

struct TableAck {
  std::uint64_t generation = 0;
  bool operator==(const TableAck&) const = default;
};

enum class CommandKind : std::uint8_t { admin_down = 1, admin_up = 2, resync = 3 };

struct Command {
  std::uint32_t command_id = 0;
  CommandKind kind = CommandKind::resync;
  bool persistent = false;  // admin_down/admin_up only: survives the member's restarts
  std::string who;
  std::string reason;
  bool operator==(const Command&) const = default;
};

enum class CommandStatus : std::uint8_t { done = 0, failed = 1, refused = 2 };

struct CommandResult {
  std::uint32_t command_id = 0;
  CommandStatus status = CommandStatus::done;
  std::string detail;
  bool operator==(const CommandResult&) const = default;
};

struct GroupMember {
  dist::MemberId id = 0;
  std::string name;
  SyncEndpoint sync;
  bool operator==(const GroupMember&) const = default;
};

// What an agent needs besides the table to replicate connections: how the data path hashes
// (so the agent computes the same bucket for a connection) and where every member's
// HyperSync endpoint is. Sent with every table push.
struct GroupInfo {
  std::uint8_t mode = 0;      // dist::Mode: 0 general, 1 general-l4
  std::uint32_t seed = 0;     // the flow hash seed
  std::vector<GroupMember> members;
  bool operator==(const GroupInfo&) const = default;
};

// A planned change, step 1 (docs/hypersync.md, "Planned changes"): the next table, which is
// not live yet. Each agent sends the connections of the buckets it owns that move to their
// new owners, and answers TABLE_PREPARED once the new owners acknowledged them.
struct TablePrepare {
  dist::Table table;
  bool operator==(const TablePrepare& o) const;
};

struct TablePrepared {
  std::uint64_t generation = 0;
  std::uint64_t connections = 0;  // connections this member handed over for the change
  bool operator==(const TablePrepared&) const = default;
};

inline constexpr std::size_t kMaxFlowTextBytes = 256;

// The operator's question "where is this connection, and is it safe?" put to a member: the
// connection as text (sync/flow_text.hpp, e.g. "tcp 10.0.1.10:40000 203.0.113.10:7007").
struct FlowQuery {
  std::uint32_t query_id = 0;
  std::string flow;
  bool operator==(const FlowQuery&) const = default;
};

enum class FlowStatus : std::uint8_t { held = 0, not_held = 1, error = 2 };

struct FlowReply {
  std::uint32_t query_id = 0;
  FlowStatus status = FlowStatus::not_held;
  std::uint8_t tcp_state = 0;     // TCP_CONNTRACK_* when held (TCP)
  std::uint32_t timeout_s = 0;    // remaining, when held
  bool backup = false;            // installed by HyperSync from a peer (not seen in traffic)
  std::uint64_t generation = 0;   // the table generation the member replicates by
  std::string detail;             // the error, for status error
  bool operator==(const FlowReply&) const = default;
};

// What the active orchestrator decided besides its committed table (which TABLE_PUSH carries),
// so that its standby holds the same and continues from it on takeover: which spares it took
// into service, and the planned change it is preparing, if any (docs/hypersync.md).
struct PeerState {
  std::uint64_t generation = 0;              // the committed generation this goes with
  std::vector<dist::MemberId> in_service;    // spares taken into service, ascending ids
  bool preparing = false;                    // a planned change is being prepared:
  dist::Table pending;                       //   its table (not live yet)
  std::string why;                           //   and why (for logs and `show status`)
  bool operator==(const PeerState& o) const;
};
inline constexpr std::size_t kMaxInServiceSpares = 1024;

// Alternatives in MessageType order (index + 1 == type).
using Body = std::variant<Register, RegisterAck, Heartbeat, TablePush, TableAck, Command,
                          CommandResult, GroupInfo, TablePrepare, TablePrepared, FlowQuery,
                          FlowReply, PeerState>;

MessageType type_of(const Body& b);

}  // namespace baton::control
