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
  }
  return "unknown";
}

MessageType type_of(const Body& b) { return static_cast<MessageType>(b.index() + 1); }

bool TablePush::operator==(const TablePush& o) const {
  return table.generation() == o.table.generation() && table.size() == o.table.size() &&
         table.base_members() == o.table.base_members() && table.failed() == o.table.failed() &&
         table.same_buckets(o.table);
}

}  // namespace baton::control
