#include "control/body.hpp"

#include "control/header.hpp"
#include "control/wire.hpp"
#include "dist/table_wire.hpp"

namespace baton::control {
namespace {

using wire::Reader;
using wire::Writer;

Status all(std::initializer_list<Status> checks) {
  for (const auto& s : checks)
    if (!s.ok()) return s;
  return {};
}

Status check_admin(Admin a, const char* field) {
  if (a != Admin::up && a != Admin::down)
    return err("{}: {} is neither 0 (up) nor 1 (down)", field, static_cast<int>(a));
  return {};
}

Status check_endpoint(const SyncEndpoint& e, const char* field) {
  if (e.family != 0 && e.family != 4 && e.family != 6)
    return err("{}: address family {} (0 none, 4 or 6)", field, e.family);
  if (e.family == 0) {
    if (e.port != 0 || e.address != std::array<std::uint8_t, 16>{})
      return err("{}: no address family but an address or port", field);
    return {};
  }
  if (e.port == 0) return err("{}: port 0", field);
  if (e.family == 4)
    for (std::size_t i = 4; i < 16; ++i)
      if (e.address[i] != 0) return err("{}: IPv4 address with bytes beyond the fourth", field);
  return {};
}

void encode_endpoint(const SyncEndpoint& e, Writer& w) {
  w.u8(e.family);
  if (e.family == 0) return;
  w.bytes(std::span<const std::uint8_t>(e.address.data(), e.family == 4 ? 4 : 16));
  w.u16(e.port);
}

void decode_endpoint(Reader& r, SyncEndpoint& e, const char* field) {
  r.u8(e.family, field);
  if (r.failed() || (e.family != 4 && e.family != 6)) return;  // 0, or validate() names it
  std::span<const std::uint8_t> a;
  if (r.bytes(e.family == 4 ? 4 : 16, a, field)) std::copy(a.begin(), a.end(), e.address.begin());
  r.u16(e.port, field);
}

// --- validation -------------------------------------------------------------------------

Status validate(const Register& m) {
  if (m.interfaces.size() > kMaxInterfaces)
    return err("{} interfaces, at most {}", m.interfaces.size(), kMaxInterfaces);
  for (const auto& i : m.interfaces) {
    auto side = static_cast<std::uint8_t>(i.side);
    if (side < 1 || side > 3) return err("interface {}: side {} (1..3 defined)", i.name, side);
    if (auto s = wire::check_name(i.name, kMaxIfnameBytes, "interface name"); !s) return s;
  }
  return all({wire::check_name(m.name, kMaxNameBytes, "name"),
              check_admin(m.admin.state, "admin state"),
              wire::check_label(m.admin.who, kMaxWhoBytes, "admin who"),
              wire::check_text(m.admin.reason, kMaxTextBytes, "admin reason"),
              check_endpoint(m.sync, "sync endpoint")});
}

Status validate(const RegisterAck& m) {
  if (m.assigned_id == kAnyMemberId) return err("assigned id 0x{:04x} is reserved", m.assigned_id);
  if (m.orchestrator_id == 0) return err("orchestrator id 0");
  if (m.heartbeat_us < kMinHeartbeatUs || m.heartbeat_us > kMaxHeartbeatUs)
    return err("heartbeat interval {} us, {}..{} allowed", m.heartbeat_us, kMinHeartbeatUs,
               kMaxHeartbeatUs);
  return {};
}

Status validate(const Heartbeat& m) {
  if (m.load.cpu_permille > kMaxCpuPermille)
    return err("cpu {} permille, at most {}", m.load.cpu_permille, kMaxCpuPermille);
  return check_admin(m.admin, "admin state");
}

Status validate(const TablePush& m) {
  if (m.table.size() == 0) return err("table has no buckets");
  return {};
}

Status validate(const TableAck&) { return {}; }

Status validate(const GroupInfo& m) {
  if (m.mode > 1) return err("distribution mode {} (0 general, 1 general-l4)", m.mode);
  if (m.members.size() > kMaxGroupMembers)
    return err("{} members, at most {}", m.members.size(), kMaxGroupMembers);
  for (const auto& g : m.members) {
    if (g.id == kAnyMemberId) return err("member id 0x{:04x} is reserved", g.id);
    if (auto s = wire::check_name(g.name, kMaxNameBytes, "member name"); !s) return s;
    if (auto s = check_endpoint(g.sync, "sync endpoint"); !s)
      return err("member {}: {}", g.name, s.error().message);
  }
  return {};
}

Status validate(const TablePrepare& m) {
  if (m.table.size() == 0) return err("table has no buckets");
  return {};
}

Status validate(const TablePrepared&) { return {}; }

Status validate(const PeerState& m) {
  if (m.in_service.size() > kMaxInServiceSpares)
    return err("{} spares in service, at most {}", m.in_service.size(), kMaxInServiceSpares);
  for (std::size_t i = 0; i < m.in_service.size(); ++i) {
    if (m.in_service[i] == kAnyMemberId) return err("member id 0x{:04x} is reserved", m.in_service[i]);
    if (i > 0 && m.in_service[i] <= m.in_service[i - 1])
      return err("spares in service are not in ascending id order ({} after {})",
                 m.in_service[i], m.in_service[i - 1]);
  }
  if (!m.preparing) {
    if (!m.why.empty()) return err("a reason but no planned change");
    return {};
  }
  if (m.pending.size() == 0) return err("planned change: table has no buckets");
  if (m.pending.generation() <= m.generation)
    return err("planned change to generation {}, not after the committed generation {}",
               m.pending.generation(), m.generation);
  return wire::check_text(m.why, kMaxTextBytes, "planned change reason");
}

Status validate(const FlowQuery& m) {
  if (m.flow.empty()) return err("empty flow");
  return wire::check_text(m.flow, kMaxFlowTextBytes, "flow");
}

Status validate(const FlowReply& m) {
  auto st = static_cast<std::uint8_t>(m.status);
  if (st > 2) return err("flow status {} (0..2 defined)", st);
  return wire::check_text(m.detail, kMaxTextBytes, "detail");
}

Status validate(const Command& m) {
  auto kind = static_cast<std::uint8_t>(m.kind);
  if (kind < 1 || kind > 3) return err("command kind {} (1..3 defined)", kind);
  if (m.kind == CommandKind::resync && m.persistent) return err("resync cannot be persistent");
  return all({wire::check_label(m.who, kMaxWhoBytes, "who"),
              wire::check_text(m.reason, kMaxTextBytes, "reason")});
}

Status validate(const CommandResult& m) {
  auto st = static_cast<std::uint8_t>(m.status);
  if (st > 2) return err("command status {} (0..2 defined)", st);
  return wire::check_text(m.detail, kMaxTextBytes, "detail");
}

// --- encoding ---------------------------------------------------------------------------

void encode(const Register& m, Writer& w) {
  w.str8(m.name);
  w.u16(m.requested_id);
  w.u32(m.capabilities);
  w.u8(static_cast<std::uint8_t>(m.interfaces.size()));
  for (const auto& i : m.interfaces) {
    w.u8(static_cast<std::uint8_t>(i.side));
    w.str8(i.name);
    w.bytes(i.mac);
  }
  w.u8(static_cast<std::uint8_t>(m.admin.state));
  w.u8(m.admin.persistent ? 1 : 0);
  w.str8(m.admin.who);
  w.str16(m.admin.reason);
  encode_endpoint(m.sync, w);
}

void encode(const RegisterAck& m, Writer& w) {
  w.u16(m.assigned_id);
  w.u32(m.orchestrator_id);
  w.u32(m.heartbeat_us);
}

void encode(const Heartbeat& m, Writer& w) {
  w.u64(m.generation);
  w.u16(m.load.cpu_permille);
  w.u64(m.load.packets_per_sec);
  w.u64(m.load.bytes_per_sec);
  w.u64(m.load.conntrack_count);
  w.u8(static_cast<std::uint8_t>(m.admin));
  w.u8(m.admin_persistent ? 1 : 0);
}

void encode_table(const dist::Table& t, Writer& w) {
  auto table = dist::encode_table(t, dist::TableWireKind::inputs);
  w.u64(t.generation());
  w.u32(static_cast<std::uint32_t>(table.size()));
  w.bytes(table);
}

void encode(const TablePush& m, Writer& w) { encode_table(m.table, w); }
void encode(const TablePrepare& m, Writer& w) { encode_table(m.table, w); }

void encode(const GroupInfo& m, Writer& w) {
  w.u8(m.mode);
  w.u32(m.seed);
  w.u16(static_cast<std::uint16_t>(m.members.size()));
  for (const auto& g : m.members) {
    w.u16(g.id);
    w.str8(g.name);
    encode_endpoint(g.sync, w);
  }
}

void encode(const TablePrepared& m, Writer& w) {
  w.u64(m.generation);
  w.u64(m.connections);
}

void encode(const FlowQuery& m, Writer& w) {
  w.u32(m.query_id);
  w.str16(m.flow);
}

void encode(const FlowReply& m, Writer& w) {
  w.u32(m.query_id);
  w.u8(static_cast<std::uint8_t>(m.status));
  w.u8(m.tcp_state);
  w.u32(m.timeout_s);
  w.u8(m.backup ? 1 : 0);
  w.u64(m.generation);
  w.str16(m.detail);
}

void encode(const PeerState& m, Writer& w) {
  w.u64(m.generation);
  w.u16(static_cast<std::uint16_t>(m.in_service.size()));
  for (auto id : m.in_service) w.u16(id);
  w.u8(m.preparing ? 1 : 0);
  if (!m.preparing) return;
  encode_table(m.pending, w);
  w.str16(m.why);
}

void encode(const TableAck& m, Writer& w) { w.u64(m.generation); }

void encode(const Command& m, Writer& w) {
  w.u32(m.command_id);
  w.u8(static_cast<std::uint8_t>(m.kind));
  w.u8(m.persistent ? 1 : 0);
  w.str8(m.who);
  w.str16(m.reason);
}

void encode(const CommandResult& m, Writer& w) {
  w.u32(m.command_id);
  w.u8(static_cast<std::uint8_t>(m.status));
  w.str16(m.detail);
}

// --- decoding: reads the fields; limits are validate()'s job ---------------------------

Result<Body> decode_register(Reader& r) {
  Register m;
  std::uint8_t count = 0;
  r.str8(m.name, "name");
  r.u16(m.requested_id, "requested id");
  r.u32(m.capabilities, "capabilities");
  r.u8(count, "interface count");
  if (!r.failed() && count > kMaxInterfaces)
    return err("{} interfaces, at most {}", count, kMaxInterfaces);
  for (std::uint8_t i = 0; i < count && !r.failed(); ++i) {
    Interface itf;
    std::uint8_t side = 0;
    std::span<const std::uint8_t> mac;
    r.u8(side, "interface side");
    r.str8(itf.name, "interface name");
    if (r.bytes(6, mac, "interface MAC")) std::copy(mac.begin(), mac.end(), itf.mac.begin());
    itf.side = static_cast<Side>(side);
    m.interfaces.push_back(std::move(itf));
  }
  std::uint8_t admin = 0;
  r.u8(admin, "admin state");
  r.boolean(m.admin.persistent, "admin persistent");
  r.str8(m.admin.who, "admin who");
  r.str16(m.admin.reason, "admin reason");
  decode_endpoint(r, m.sync, "sync endpoint");
  m.admin.state = static_cast<Admin>(admin);
  if (r.failed()) return Error{r.error()};
  return Body{std::move(m)};
}

Result<Body> decode_register_ack(Reader& r) {
  RegisterAck m;
  r.u16(m.assigned_id, "assigned id");
  r.u32(m.orchestrator_id, "orchestrator id");
  r.u32(m.heartbeat_us, "heartbeat interval");
  if (r.failed()) return Error{r.error()};
  return Body{m};
}

Result<Body> decode_heartbeat(Reader& r) {
  Heartbeat m;
  std::uint8_t admin = 0;
  r.u64(m.generation, "generation");
  r.u16(m.load.cpu_permille, "cpu permille");
  r.u64(m.load.packets_per_sec, "packets/s");
  r.u64(m.load.bytes_per_sec, "bytes/s");
  r.u64(m.load.conntrack_count, "conntrack count");
  r.u8(admin, "admin state");
  r.boolean(m.admin_persistent, "admin persistent");
  m.admin = static_cast<Admin>(admin);
  if (r.failed()) return Error{r.error()};
  return Body{m};
}

Result<dist::Table> decode_table_field(Reader& r) {
  std::uint64_t generation = 0;
  std::uint32_t length = 0;
  std::span<const std::uint8_t> bytes;
  r.u64(generation, "generation");
  r.u32(length, "table length");
  r.bytes(length, bytes, "table");
  if (r.failed()) return Error{r.error()};
  constexpr std::size_t kKindOffset = 5;  // docs/protocols.md, "Table wire form, version 1"
  if (bytes.size() > kKindOffset &&
      bytes[kKindOffset] != static_cast<std::uint8_t>(dist::TableWireKind::inputs))
    return err("table wire kind {}, a push carries kind 1 (inputs)", bytes[kKindOffset]);
  auto table = dist::decode_table(bytes);
  if (!table) return err("table: {}", table.error().message);
  if (table->generation() != generation)
    return err("generation {} but the table is generation {}", generation, table->generation());
  return table;
}

Result<Body> decode_table_push(Reader& r) {
  auto t = decode_table_field(r);
  if (!t) return t.error();
  return Body{TablePush{std::move(t).value()}};
}

Result<Body> decode_table_prepare(Reader& r) {
  auto t = decode_table_field(r);
  if (!t) return t.error();
  return Body{TablePrepare{std::move(t).value()}};
}

Result<Body> decode_group_info(Reader& r) {
  GroupInfo m;
  std::uint16_t count = 0;
  r.u8(m.mode, "distribution mode");
  r.u32(m.seed, "hash seed");
  r.u16(count, "member count");
  if (!r.failed() && count > kMaxGroupMembers)
    return err("{} members, at most {}", count, kMaxGroupMembers);
  for (std::uint16_t i = 0; i < count && !r.failed(); ++i) {
    GroupMember g;
    r.u16(g.id, "member id");
    r.str8(g.name, "member name");
    decode_endpoint(r, g.sync, "sync endpoint");
    m.members.push_back(std::move(g));
  }
  if (r.failed()) return Error{r.error()};
  return Body{std::move(m)};
}

Result<Body> decode_flow_query(Reader& r) {
  FlowQuery m;
  r.u32(m.query_id, "query id");
  r.str16(m.flow, "flow");
  if (r.failed()) return Error{r.error()};
  return Body{std::move(m)};
}

Result<Body> decode_flow_reply(Reader& r) {
  FlowReply m;
  std::uint8_t status = 0;
  r.u32(m.query_id, "query id");
  r.u8(status, "status");
  r.u8(m.tcp_state, "tcp state");
  r.u32(m.timeout_s, "timeout");
  r.boolean(m.backup, "backup");
  r.u64(m.generation, "generation");
  r.str16(m.detail, "detail");
  m.status = static_cast<FlowStatus>(status);
  if (r.failed()) return Error{r.error()};
  return Body{std::move(m)};
}

Result<Body> decode_table_prepared(Reader& r) {
  TablePrepared m;
  r.u64(m.generation, "generation");
  r.u64(m.connections, "connections");
  if (r.failed()) return Error{r.error()};
  return Body{m};
}

Result<Body> decode_peer_state(Reader& r) {
  PeerState m;
  std::uint16_t count = 0;
  r.u64(m.generation, "generation");
  r.u16(count, "spares in service");
  if (!r.failed() && count > kMaxInServiceSpares)
    return err("{} spares in service, at most {}", count, kMaxInServiceSpares);
  for (std::uint16_t i = 0; i < count && !r.failed(); ++i) {
    dist::MemberId id = 0;
    r.u16(id, "spare id");
    m.in_service.push_back(id);
  }
  r.boolean(m.preparing, "preparing");
  if (r.failed()) return Error{r.error()};
  if (!m.preparing) return Body{std::move(m)};
  auto t = decode_table_field(r);
  if (!t) return err("planned change: {}", t.error().message);
  m.pending = std::move(t).value();
  r.str16(m.why, "planned change reason");
  if (r.failed()) return Error{r.error()};
  return Body{std::move(m)};
}

Result<Body> decode_table_ack(Reader& r) {
  TableAck m;
  r.u64(m.generation, "generation");
  if (r.failed()) return Error{r.error()};
  return Body{m};
}

Result<Body> decode_command(Reader& r) {
  Command m;
  std::uint8_t kind = 0;
  r.u32(m.command_id, "command id");
  r.u8(kind, "command kind");
  r.boolean(m.persistent, "persistent");
  r.str8(m.who, "who");
  r.str16(m.reason, "reason");
  m.kind = static_cast<CommandKind>(kind);
  if (r.failed()) return Error{r.error()};
  return Body{std::move(m)};
}

Result<Body> decode_command_result(Reader& r) {
  CommandResult m;
  std::uint8_t status = 0;
  r.u32(m.command_id, "command id");
  r.u8(status, "status");
  r.str16(m.detail, "detail");
  m.status = static_cast<CommandStatus>(status);
  if (r.failed()) return Error{r.error()};
  return Body{std::move(m)};
}

Result<Body> decode_fields(MessageType t, Reader& r) {
  switch (t) {
    case MessageType::register_: return decode_register(r);
    case MessageType::register_ack: return decode_register_ack(r);
    case MessageType::heartbeat: return decode_heartbeat(r);
    case MessageType::table_push: return decode_table_push(r);
    case MessageType::table_ack: return decode_table_ack(r);
    case MessageType::command: return decode_command(r);
    case MessageType::command_result: return decode_command_result(r);
    case MessageType::group_info: return decode_group_info(r);
    case MessageType::table_prepare: return decode_table_prepare(r);
    case MessageType::table_prepared: return decode_table_prepared(r);
    case MessageType::flow_query: return decode_flow_query(r);
    case MessageType::flow_reply: return decode_flow_reply(r);
    case MessageType::peer_state: return decode_peer_state(r);
  }
  return err("type {} has no body decoder", static_cast<int>(t));
}

}  // namespace

Status validate_body(const Body& b) {
  return std::visit([](const auto& m) { return validate(m); }, b);
}

Result<std::vector<std::uint8_t>> encode_body(const Body& b) {
  if (auto s = validate_body(b); !s)
    return err("{}: {}", message_type_name(type_of(b)), s.error().message);
  std::vector<std::uint8_t> out;
  Writer w(out);
  std::visit([&](const auto& m) { encode(m, w); }, b);
  if (out.size() > kMaxBodyBytes)
    return err("{}: body of {} bytes, at most {}", message_type_name(type_of(b)), out.size(),
               kMaxBodyBytes);
  return out;
}

Decoded<Body> decode_body(MessageType t, std::span<const std::uint8_t> bytes) {
  auto name = message_type_name(t);
  Reader r(bytes);
  auto body = decode_fields(t, r);
  if (!body) return drop(DropReason::malformed_body, "{}: {}", name, body.error().message);
  if (r.remaining() != 0)
    return drop(DropReason::malformed_body, "{}: {} bytes left over after the body", name,
                r.remaining());
  if (auto s = validate_body(*body); !s)
    return drop(DropReason::malformed_body, "{}: {}", name, s.error().message);
  return std::move(body).value();
}

}  // namespace baton::control
