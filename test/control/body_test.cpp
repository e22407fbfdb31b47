#include "control/body.hpp"

#include <gtest/gtest.h>

#include "dist/table_wire.hpp"
#include "samples.hpp"

namespace baton::control {
namespace {

template <typename T>
T sample() {
  for (const auto& b : testing::sample_bodies())
    if (std::holds_alternative<T>(b)) return std::get<T>(b);
  panic("no sample of that type");
}

// The encoder refuses `b`, and a body carrying the same bytes is dropped as malformed; both
// errors contain `needle`.
void expect_invalid(const Body& b, std::string_view needle) {
  auto e = encode_body(b);
  ASSERT_FALSE(e.ok()) << "encoded, expected error: " << needle;
  EXPECT_NE(e.error().message.find(needle), std::string::npos) << e.error().message;
}

void expect_malformed(MessageType t, std::span<const std::uint8_t> bytes, std::string_view needle) {
  auto d = decode_body(t, bytes);
  ASSERT_FALSE(d.ok()) << "decoded, expected error: " << needle;
  EXPECT_EQ(d.drop().reason, DropReason::malformed_body);
  EXPECT_NE(d.drop().message.find(needle), std::string::npos) << d.drop().message;
}

// Encodes without validation by patching a valid encoding: writes `b` at `at`.
std::vector<std::uint8_t> patched(const Body& body, std::size_t at, std::vector<std::uint8_t> b) {
  auto out = *encode_body(body);
  std::copy(b.begin(), b.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
  return out;
}

TEST(ControlBody, EveryTruncationOfEveryBodyRejected) {
  for (const auto& b : testing::sample_bodies()) {
    auto bytes = *encode_body(b);
    for (std::size_t n = 0; n < bytes.size(); ++n)
      expect_malformed(type_of(b), std::span(bytes).first(n), message_type_name(type_of(b)));
  }
}

TEST(ControlBody, TrailingBytesRejected) {
  for (const auto& b : testing::sample_bodies()) {
    auto bytes = *encode_body(b);
    bytes.push_back(0);
    expect_malformed(type_of(b), bytes, "1 bytes left over after the body");
  }
}

TEST(ControlBody, MemberNameRules) {
  auto r = sample<Register>();
  r.name = std::string(kMaxNameBytes, 'n');
  EXPECT_TRUE(encode_body(Body{r}).ok());
  r.name = std::string(kMaxNameBytes + 1, 'n');
  expect_invalid(Body{r}, "name: 65 bytes, 1..64 allowed");
  r.name = "";
  expect_invalid(Body{r}, "name: 0 bytes, 1..64 allowed");
  r.name = "gw 1";
  expect_invalid(Body{r}, "name: byte 0x20 at 2");
  r.name = "gw\x7f";
  expect_invalid(Body{r}, "name: byte 0x7f at 2");
  // The same on the wire: first byte of the body is the name length, then the name.
  auto wire = patched(Body{sample<Register>()}, 1, {'g', 'w', '\n'});
  expect_malformed(MessageType::register_, wire, "register: name: byte 0x0a at 2");
}

TEST(ControlBody, InterfaceRules) {
  auto r = sample<Register>();
  r.interfaces[0].name = std::string(kMaxIfnameBytes, 'i');
  EXPECT_TRUE(encode_body(Body{r}).ok());
  r.interfaces[0].name = std::string(kMaxIfnameBytes + 1, 'i');
  expect_invalid(Body{r}, "interface name: 16 bytes, 1..15 allowed");
  r = sample<Register>();
  r.interfaces[1].side = static_cast<Side>(4);
  expect_invalid(Body{r}, "interface eth2: side 4");
  r = sample<Register>();
  r.interfaces.assign(kMaxInterfaces + 1, r.interfaces[0]);
  expect_invalid(Body{r}, "17 interfaces, at most 16");
  r.interfaces.resize(kMaxInterfaces);
  EXPECT_TRUE(encode_body(Body{r}).ok());
  // A count of 17 on the wire is refused before reading any interface.
  r = sample<Register>();
  r.interfaces.clear();
  std::size_t count_at = 1 + r.name.size() + 2 + 4;
  auto wire = patched(Body{r}, count_at, {kMaxInterfaces + 1});
  expect_malformed(MessageType::register_, wire, "register: 17 interfaces, at most 16");
}

TEST(ControlBody, TextRules) {
  auto c = sample<Command>();
  c.reason = std::string(kMaxTextBytes, 'r');
  EXPECT_TRUE(encode_body(Body{c}).ok());
  c.reason = "\xff\xfe not UTF-8 \x01, still fine";
  EXPECT_TRUE(encode_body(Body{c}).ok());
  c.reason = std::string(kMaxTextBytes + 1, 'r');
  expect_invalid(Body{c}, "reason: 257 bytes, 0..256 allowed");
  c.reason = std::string("a\0b", 3);
  expect_invalid(Body{c}, "reason: byte 0x00 at 1 (NUL is not allowed)");
  c = sample<Command>();
  c.who = "bob on tty1";
  EXPECT_TRUE(encode_body(Body{c}).ok());
  c.who = "bob\ttty1";
  expect_invalid(Body{c}, "who: byte 0x09 at 3");
  c.who = std::string(kMaxWhoBytes + 1, 'w');
  expect_invalid(Body{c}, "who: 65 bytes, 0..64 allowed");
  auto res = sample<CommandResult>();
  res.detail = std::string(1, '\0');
  expect_invalid(Body{res}, "detail: byte 0x00 at 0");
}

TEST(ControlBody, HeartbeatRules) {
  auto h = sample<Heartbeat>();
  h.load.cpu_permille = kMaxCpuPermille;
  EXPECT_TRUE(encode_body(Body{h}).ok());
  h.load.cpu_permille = kMaxCpuPermille + 1;
  expect_invalid(Body{h}, "cpu 1001 permille");
  std::size_t admin_at = 8 + 2 + 8 + 8 + 8;
  expect_malformed(MessageType::heartbeat, patched(Body{sample<Heartbeat>()}, admin_at, {2}),
                   "heartbeat: admin state: 2 is neither 0 (up) nor 1 (down)");
  expect_malformed(MessageType::heartbeat, patched(Body{sample<Heartbeat>()}, admin_at + 1, {2}),
                   "heartbeat: admin persistent: 2 is not a boolean");
}

TEST(ControlBody, RegisterAckRules) {
  RegisterAck a{3, 1, kMinHeartbeatUs};
  EXPECT_TRUE(encode_body(Body{a}).ok());
  a.heartbeat_us = kMaxHeartbeatUs;
  EXPECT_TRUE(encode_body(Body{a}).ok());
  a.heartbeat_us = kMinHeartbeatUs - 1;
  expect_invalid(Body{a}, "heartbeat interval 999 us");
  a.heartbeat_us = kMaxHeartbeatUs + 1;
  expect_invalid(Body{a}, "heartbeat interval 10000001 us");
  expect_invalid(Body{RegisterAck{kAnyMemberId, 1, kDefaultHeartbeatUs}}, "assigned id 0xffff is reserved");
  expect_invalid(Body{RegisterAck{3, 0, kDefaultHeartbeatUs}}, "orchestrator id 0");
}

TEST(ControlBody, CommandRules) {
  for (auto k : {CommandKind::admin_down, CommandKind::admin_up, CommandKind::resync}) {
    Command c{1, k, false, "who", ""};
    EXPECT_TRUE(encode_body(Body{c}).ok());
  }
  expect_invalid(Body{Command{1, CommandKind::resync, true, "", ""}}, "resync cannot be persistent");
  expect_malformed(MessageType::command, patched(Body{sample<Command>()}, 4, {0}), "command kind 0");
  expect_malformed(MessageType::command, patched(Body{sample<Command>()}, 4, {4}), "command kind 4");
  expect_malformed(MessageType::command_result, patched(Body{sample<CommandResult>()}, 4, {3}),
                   "command status 3");
}

TEST(ControlBody, TablePushCarriesTheInputsForm) {
  auto push = sample<TablePush>();
  auto bytes = *encode_body(Body{push});
  auto table = dist::encode_table(push.table, dist::TableWireKind::inputs);
  ASSERT_EQ(bytes.size(), 8 + 4 + table.size());
  EXPECT_TRUE(std::equal(table.begin(), table.end(), bytes.begin() + 12));
  auto back = decode_body(MessageType::table_push, bytes);
  ASSERT_TRUE(back.ok()) << back.drop().message;
  const auto& t = std::get<TablePush>(*back).table;
  EXPECT_TRUE(t.same_buckets(push.table));
  EXPECT_EQ(t.failed(), push.table.failed());
}

TEST(ControlBody, TablePushRejections) {
  auto push = sample<TablePush>();
  // Push generation differs from the table's.
  expect_malformed(MessageType::table_push, patched(Body{push}, 0, {41}),
                   "table-push: generation 41 but the table is generation 42");
  // The buckets form is not what a push carries.
  auto table = dist::encode_table(push.table, dist::TableWireKind::buckets);
  std::vector<std::uint8_t> body(12);
  for (int i = 0; i < 8; ++i) body[i] = static_cast<std::uint8_t>(push.table.generation() >> (8 * i));
  for (int i = 0; i < 4; ++i) body[8 + i] = static_cast<std::uint8_t>(table.size() >> (8 * i));
  body.insert(body.end(), table.begin(), table.end());
  expect_malformed(MessageType::table_push, body, "table wire kind 2");
  // A corrupted table: the table decoder's error is passed on.
  auto bad = *encode_body(Body{push});
  bad.back() ^= 1;
  expect_malformed(MessageType::table_push, bad, "table-push: table: ");
  // A table length beyond the body.
  expect_malformed(MessageType::table_push, patched(Body{push}, 8, {0xff, 0xff, 0, 0}),
                   "table: needs 65535 bytes");
}

TEST(ControlBody, SyncEndpointRules) {
  auto r = sample<Register>();
  r.sync = {};
  auto none = *encode_body(Body{r});
  auto four = *encode_body(Body{sample<Register>()});
  EXPECT_EQ(four.size(), none.size() + 4 + 2);  // family byte in both; address and port
  auto back = decode_body(MessageType::register_, none);
  ASSERT_TRUE(back.ok()) << back.drop().message;
  EXPECT_EQ(std::get<Register>(*back).sync, SyncEndpoint{});
  r.sync = {5, {}, 1};
  expect_invalid(Body{r}, "sync endpoint: address family 5");
  r.sync = {4, {10, 3, 0, 11}, 0};
  expect_invalid(Body{r}, "sync endpoint: port 0");
  r.sync = {4, {10, 3, 0, 11, 1}, 7702};
  expect_invalid(Body{r}, "IPv4 address with bytes beyond the fourth");
  r.sync = {0, {}, 7702};
  expect_invalid(Body{r}, "no address family but an address or port");
  // A family byte of 5 on the wire.
  auto bad = four;
  bad[bad.size() - 7] = 5;
  expect_malformed(MessageType::register_, std::span(bad).first(bad.size() - 6),
                   "address family 5");
}

TEST(ControlBody, GroupInfoRules) {
  auto g = sample<GroupInfo>();
  auto bytes = *encode_body(Body{g});
  auto back = decode_body(MessageType::group_info, bytes);
  ASSERT_TRUE(back.ok()) << back.drop().message;
  EXPECT_EQ(std::get<GroupInfo>(*back), g);
  g.mode = 2;
  expect_invalid(Body{g}, "distribution mode 2");
  g = sample<GroupInfo>();
  g.members[1].name = "has space";
  expect_invalid(Body{g}, "member name");
  g = sample<GroupInfo>();
  g.members[0].id = kAnyMemberId;
  expect_invalid(Body{g}, "member id 0xffff is reserved");
  g.members.assign(kMaxGroupMembers + 1, GroupMember{1, "gw", {}});
  expect_invalid(Body{g}, "1025 members, at most 1024");
  // A count above the limit on the wire is refused before reading the entries.
  expect_malformed(MessageType::group_info, patched(Body{sample<GroupInfo>()}, 5, {0x01, 0x04}),
                   "1025 members, at most 1024");
}

TEST(ControlBody, TablePrepareCarriesTheNextTable) {
  auto p = sample<TablePrepare>();
  auto back = decode_body(MessageType::table_prepare, *encode_body(Body{p}));
  ASSERT_TRUE(back.ok()) << back.drop().message;
  EXPECT_EQ(std::get<TablePrepare>(*back), p);
  expect_malformed(MessageType::table_prepare, patched(Body{p}, 0, {44}),
                   "table-prepare: generation 44 but the table is generation 43");
}

TEST(ControlBody, FlowQueryAndReplyRules) {
  expect_invalid(Body{FlowQuery{1, ""}}, "empty flow");
  expect_invalid(Body{FlowQuery{1, std::string(257, 'a')}}, "flow: 257 bytes");
  auto r = sample<FlowReply>();
  auto back = decode_body(MessageType::flow_reply, *encode_body(Body{r}));
  ASSERT_TRUE(back.ok()) << back.drop().message;
  EXPECT_EQ(std::get<FlowReply>(*back), r);
  expect_malformed(MessageType::flow_reply, patched(Body{r}, 4, {3}), "flow status 3");
  expect_malformed(MessageType::flow_reply, patched(Body{r}, 10, {2}), "backup");
}

TEST(ControlBody, PeerStateRoundTripsAndItsRules) {
  auto p = sample<PeerState>();
  auto back = decode_body(MessageType::peer_state, *encode_body(Body{p}));
  ASSERT_TRUE(back.ok()) << back.drop().message;
  EXPECT_EQ(std::get<PeerState>(*back), p);
  // Nothing being prepared: the body ends after the flag.
  PeerState idle{42, {}, false, {}, ""};
  auto bytes = *encode_body(Body{idle});
  EXPECT_EQ(bytes.size(), 8u + 2u + 1u);
  back = decode_body(MessageType::peer_state, bytes);
  ASSERT_TRUE(back.ok()) << back.drop().message;
  EXPECT_EQ(std::get<PeerState>(*back), idle);
  expect_invalid(Body{PeerState{42, {9, 5}, false, {}, ""}}, "not in ascending id order");
  expect_invalid(Body{PeerState{42, {0xFFFF}, false, {}, ""}}, "reserved");
  expect_invalid(Body{PeerState{42, {}, false, {}, "why"}}, "a reason but no planned change");
  auto stale = p;
  stale.generation = p.pending.generation();
  expect_invalid(Body{stale}, "not after the committed generation");
  // The flag byte is 0 or 1; 2 is malformed.
  expect_malformed(MessageType::peer_state, patched(Body{idle}, 10, {2}), "preparing");
  // The planned change's table is checked like a push's.
  expect_malformed(MessageType::peer_state, patched(Body{p}, 15, {0}), "planned change: ");
}

TEST(ControlBody, TypeNames) {
  const char* names[] = {"register",      "register-ack",   "heartbeat",  "table-push",
                         "table-ack",     "command",        "command-result", "group-info",
                         "table-prepare", "table-prepared", "flow-query", "flow-reply",
                         "peer-state"};
  for (std::uint8_t t = 1; t <= kMaxMessageType; ++t)
    EXPECT_EQ(message_type_name(static_cast<MessageType>(t)), names[t - 1]);
  EXPECT_EQ(message_type_name(static_cast<MessageType>(0)), "unknown");
}

}  // namespace
}  // namespace baton::control
