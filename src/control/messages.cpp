#include "control/messages.hpp"

namespace baton::control {

std::string_view message_type_name(MessageType t) {
  switch (t) {
    case MessageType::register_: return "register";
    case MessageType::register_ack: return "register-ack";
    case MessageType::heartbeat: return "heartbeat";
    case MessageType::table_push: return "table-push";
    case MessageType::table_ack: return "table-ack";
    case MessageType::command: return "command";
    case MessageType::command_result: return "command-result";
    case MessageType::group_info: return "group-info";
    case MessageType::table_prepare: return "table-prepare";
    case MessageType::table_prepared: return "table-prepared";
    case MessageType::flow_query: return "flow-query";
    case MessageType::flow_reply: return "flow-reply";
    case MessageType::peer_state: return "peer-state";
  }
  return "unknown";
}

MessageType type_of(const Body& b) { return static_cast<MessageType>(b.index() + 1); }

namespace {
bool same_table(const dist::Table& a, const dist::Table& b) {
  return a.generation() == b.generation() && a.size() == b.size() &&
         a.base_members() == b.base_members() && a.failed() == b.failed() && a.same_buckets(b);
}
}  // namespace

bool TablePush::operator==(const TablePush& o) const { return same_table(table, o.table); }
bool TablePrepare::operator==(const TablePrepare& o) const { return same_table(table, o.table); }
bool PeerState::operator==(const PeerState& o) const {
  return generation == o.generation && in_service == o.in_service && preparing == o.preparing &&
         (!preparing || (same_table(pending, o.pending) && why == o.why));
}

}  // namespace baton::control
