#include "samples.hpp"

#include "dist/table.hpp"

namespace baton::control::testing {

auth::Key test_key() {
  std::vector<std::uint8_t> k(32);
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(0xb0 + i);
  return auth::Key(k);
}

std::vector<Body> sample_bodies() {
  Register reg;
  reg.name = "gw-1.example";
  reg.requested_id = 3;
  reg.capabilities = kCapHyperSync | kCapConntrackCount;
  reg.interfaces = {{Side::external, "eth1", {0x02, 0, 0, 0, 0x01, 0x01}},
                    {Side::internal, "eth2", {0x02, 0, 0, 0, 0x01, 0x02}},
                    {Side::sync, "sync0", {0x02, 0, 0, 0, 0x01, 0x03}}};
  reg.admin = {Admin::down, true, "alice", "kernel upgrade, ticket 4711"};
  reg.sync = {4, {10, 3, 0, 11}, 7702};

  std::vector<dist::MemberSpec> members{{1, 100}, {2, 100}, {3, 50}, {4, 200}};
  dist::Table table = *dist::Table::build(members, 4099, 41);
  table = *table.without(2);
  dist::Table next = *dist::Table::build(members, 4099, 43);

  return {
      Body{reg},
      Body{RegisterAck{3, kOrchestratorId, kDefaultHeartbeatUs}},
      Body{Heartbeat{{734, 1'250'000, 1'400'000'000, 88'000}, 42, Admin::up, false}},
      Body{TablePush{table}},
      Body{TableAck{42}},
      Body{Command{9, CommandKind::admin_down, true, "root via batonctl", "replace PSU"}},
      Body{CommandResult{9, CommandStatus::done, "down (persistent)"}},
      Body{GroupInfo{1, 0x5eed, {{1, "gw1", {4, {10, 3, 0, 11}, 7702}},
                                 {3, "gw-3", {6, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3}, 7702}},
                                 {4, "gw4", {}}}}},
      Body{TablePrepare{next}},
      Body{TablePrepared{43, 1200}},
      Body{FlowQuery{17, "tcp 10.0.1.10:40000 203.0.113.10:7007"}},
      Body{FlowReply{17, FlowStatus::held, 3, 431990, true, 43, ""}},
      Body{PeerState{42, {5, 9}, true, next, "gw5 added from the spare pool by alice"}},
  };
}

Header sample_header(MessageType t, std::uint64_t sequence) {
  bool from_agent = t == MessageType::register_ || t == MessageType::heartbeat ||
                    t == MessageType::table_ack || t == MessageType::command_result ||
                    t == MessageType::table_prepared || t == MessageType::flow_reply;
  Header h;
  h.sequence = sequence;
  if (from_agent) {
    h.sender_id = kAgentId;
    h.sender_epoch = kAgentEpoch;
    bool first = t == MessageType::register_;
    h.recipient_id = first ? kAnyRecipient : kOrchestratorId;
    h.recipient_epoch = first ? kUnknownEpoch : kOrchestratorEpoch;
  } else {
    h.sender_id = kOrchestratorId;
    h.sender_epoch = kOrchestratorEpoch;
    h.recipient_id = kAgentId;
    h.recipient_epoch = kAgentEpoch;
  }
  return h;
}

std::vector<std::uint8_t> sealed(const Body& b, std::uint64_t sequence) {
  auto out = encode_message(sample_header(type_of(b), sequence), b, test_key());
  if (!out) panic("sample message does not encode");
  return std::move(out).value();
}

}  // namespace baton::control::testing
