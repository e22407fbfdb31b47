#include "control/receiver.hpp"

#include <gtest/gtest.h>

#include "control/sender.hpp"
#include "samples.hpp"

namespace baton::control {
namespace {

using namespace testing;

// The orchestrator's receiver, and an agent that sends to it.
struct ControlReceiver : ::testing::Test {
  Receiver orch{test_key(), {kOrchestratorId, kOrchestratorEpoch}};
  Sender agent{test_key(), kAgentId, kAgentEpoch};

  std::vector<std::uint8_t> heartbeat(std::uint64_t generation = 42) {
    return *agent.seal(kOrchestratorId, kOrchestratorEpoch,
                       Body{Heartbeat{{1, 2, 3, 4}, generation, Admin::up, false}});
  }
  void expect_drop(std::span<const std::uint8_t> msg, DropReason r) {
    auto before = orch.drops()[r];
    auto got = orch.receive(msg);
    ASSERT_FALSE(got.accepted()) << "accepted, expected " << drop_reason_name(r);
    EXPECT_EQ(got.drop->reason, r) << got.drop->message;
    EXPECT_EQ(orch.drops()[r], before + 1);
  }
  void expect_accept(std::span<const std::uint8_t> msg) {
    auto got = orch.receive(msg);
    ASSERT_TRUE(got.accepted()) << got.drop->message;
    EXPECT_FALSE(got.drop.has_value());
  }
};

// Sent by an orchestrator (to an agent, or PEER_STATE to its peer: the same framing).
bool from_orchestrator(MessageType t) {
  return t == MessageType::register_ack || t == MessageType::table_push ||
         t == MessageType::command || t == MessageType::group_info ||
         t == MessageType::table_prepare || t == MessageType::flow_query ||
         t == MessageType::peer_state;
}

TEST_F(ControlReceiver, AcceptsEveryAgentMessageAndCounts) {
  for (const auto& b : sample_bodies()) {
    auto t = type_of(b);
    if (from_orchestrator(t)) continue;
    bool first = t == MessageType::register_;
    auto msg = *agent.seal(first ? kAnyRecipient : kOrchestratorId,
                           first ? kUnknownEpoch : kOrchestratorEpoch, b);
    auto got = orch.receive(msg);
    ASSERT_TRUE(got.accepted()) << got.drop->message;
    EXPECT_EQ(got.message->body, b);
    EXPECT_EQ(got.message->header.sender_id, kAgentId);
  }
  EXPECT_EQ(orch.accepted(), 6u);
  EXPECT_EQ(orch.drops().total(), 0u);
}

TEST_F(ControlReceiver, AgentAcceptsOrchestratorMessages) {
  Receiver agent_rx{test_key(), {kAgentId, kAgentEpoch}};
  Sender orch_tx{test_key(), kOrchestratorId, kOrchestratorEpoch};
  for (const auto& b : sample_bodies()) {
    auto t = type_of(b);
    if (!from_orchestrator(t)) continue;
    auto got = agent_rx.receive(*orch_tx.seal(kAgentId, kAgentEpoch, b));
    ASSERT_TRUE(got.accepted()) << got.drop->message;
    EXPECT_EQ(got.message->body, b);
  }
  EXPECT_EQ(agent_rx.accepted(), 7u);
}

TEST_F(ControlReceiver, ReplayedMessageDroppedAndCounted) {
  auto hb = heartbeat();
  expect_accept(hb);
  expect_drop(hb, DropReason::replayed);
  expect_drop(hb, DropReason::replayed);
  EXPECT_EQ(orch.drops()[DropReason::replayed], 2u);
  EXPECT_EQ(orch.accepted(), 1u);
}

TEST_F(ControlReceiver, ReorderedInsideTheWindowAccepted) {
  auto first = heartbeat();
  auto second = heartbeat();
  expect_accept(second);
  expect_accept(first);
  expect_drop(first, DropReason::replayed);
}

TEST_F(ControlReceiver, WindowEdges) {
  auto oldest_inside = heartbeat();  // sequence 1
  auto too_old = oldest_inside;
  Sender far{test_key(), kAgentId, kAgentEpoch, 1 + auth::kReplayWindow - 1};
  auto edge = *far.seal(kOrchestratorId, kOrchestratorEpoch, Body{TableAck{1}});  // seq 1024
  expect_accept(edge);
  expect_accept(oldest_inside);  // 1024 - 1 = 1023 behind: inside
  auto next = *far.seal(kOrchestratorId, kOrchestratorEpoch, Body{TableAck{1}});  // seq 1025
  expect_accept(next);
  // Sequence 2 is now 1023 behind (inside, unseen); sequence 1 is 1024 behind (outside).
  auto seq2 = heartbeat();
  expect_accept(seq2);
  expect_drop(too_old, DropReason::too_old);
}

TEST_F(ControlReceiver, RestartedSenderWithNewEpochAcceptedOldEpochStale) {
  auto old1 = heartbeat();
  auto old2 = heartbeat();
  expect_accept(old1);
  Sender restarted{test_key(), kAgentId, kAgentEpoch + 1};  // sequence starts at 1 again
  auto fresh = *restarted.seal(kOrchestratorId, kOrchestratorEpoch, Body{TableAck{7}});
  expect_accept(fresh);
  EXPECT_EQ(orch.guard().session(kAgentId)->epoch, kAgentEpoch + 1);
  expect_drop(old2, DropReason::stale_epoch);  // never seen, but from the old session
  expect_drop(old1, DropReason::stale_epoch);
  expect_drop(fresh, DropReason::replayed);
}

TEST_F(ControlReceiver, ForgedMessageDroppedAndChangesNothing) {
  Sender forger{auth::Key(std::vector<std::uint8_t>(32, 0x66)), kAgentId, kAgentEpoch + 100};
  auto forged = *forger.seal(kOrchestratorId, kOrchestratorEpoch, Body{TableAck{1}});
  auto hb = heartbeat();  // sequence 1, epoch kAgentEpoch
  expect_drop(forged, DropReason::bad_mac);
  EXPECT_FALSE(orch.guard().session(kAgentId).has_value());
  // Had the forged newer epoch been recorded, this one would now be stale.
  expect_accept(hb);
  expect_drop(forged, DropReason::bad_mac);
  EXPECT_EQ(orch.guard().session(kAgentId)->epoch, kAgentEpoch);
}

TEST_F(ControlReceiver, MalformedBodyDroppedAndDoesNotUseUpItsSequence) {
  // A message with a valid MAC whose body is broken (the sender's bug, or a future version).
  Header h = sample_header(MessageType::heartbeat, 5);
  auto good = *encode_message(h, Body{Heartbeat{}}, test_key());
  auto bad = good;
  bad[kHeaderBytes + 8] = 0xff;  // cpu permille low byte -> 1023+
  bad[kHeaderBytes + 9] = 0x03;
  auto tag = auth::hmac_sha256(test_key(), std::span(bad).first(bad.size() - kMacBytes));
  std::copy(tag.begin(), tag.end(), bad.end() - kMacBytes);
  auto got = orch.receive(bad);
  ASSERT_FALSE(got.accepted());
  EXPECT_EQ(got.drop->reason, DropReason::malformed_body);
  EXPECT_NE(got.drop->message.find("heartbeat: cpu 1023 permille"), std::string::npos)
      << got.drop->message;
  ASSERT_TRUE(got.authentic_header.has_value());
  EXPECT_EQ(got.authentic_header->sequence, 5u);
  EXPECT_FALSE(orch.guard().session(kAgentId).has_value());
  expect_accept(good);  // same sequence, now well formed
}

TEST_F(ControlReceiver, WrongRecipientDropped) {
  auto to_other = *agent.seal(kOrchestratorId + 1, kOrchestratorEpoch, Body{TableAck{1}});
  auto got = orch.receive(to_other);
  ASSERT_FALSE(got.accepted());
  EXPECT_EQ(got.drop->reason, DropReason::wrong_recipient);
  EXPECT_NE(got.drop->message.find("is for node 2, we are 1"), std::string::npos) << got.drop->message;
  EXPECT_TRUE(got.authentic_header.has_value());
  // "Any recipient" is for REGISTER only.
  expect_drop(*agent.seal(kAnyRecipient, kOrchestratorEpoch, Body{TableAck{1}}),
              DropReason::wrong_recipient);
  EXPECT_FALSE(orch.guard().session(kAgentId).has_value());
}

TEST_F(ControlReceiver, WrongSessionDropped) {
  // Written to an earlier session of the orchestrator (before it restarted).
  expect_drop(*agent.seal(kOrchestratorId, kOrchestratorEpoch - 1, Body{TableAck{1}}),
              DropReason::wrong_session);
  // "Unknown session" is for REGISTER only.
  expect_drop(*agent.seal(kOrchestratorId, kUnknownEpoch, Body{TableAck{1}}),
              DropReason::wrong_session);
  auto reg = sample_bodies()[0];
  expect_accept(*agent.seal(kOrchestratorId, kUnknownEpoch, reg));
  expect_accept(*agent.seal(kAnyRecipient, kOrchestratorEpoch, reg));
  expect_drop(*agent.seal(kOrchestratorId, kOrchestratorEpoch + 1, reg), DropReason::wrong_session);
}

// A message for one member, redirected to another by an attacker, is refused there.
TEST_F(ControlReceiver, CommandRedirectedToAnotherMemberDropped) {
  Sender orch_tx{test_key(), kOrchestratorId, kOrchestratorEpoch};
  Receiver other_member{test_key(), {kAgentId + 1, kAgentEpoch}};
  auto cmd = *orch_tx.seal(kAgentId, kAgentEpoch, sample_bodies()[5]);
  auto got = other_member.receive(cmd);
  ASSERT_FALSE(got.accepted());
  EXPECT_EQ(got.drop->reason, DropReason::wrong_recipient);
}

TEST_F(ControlReceiver, DroppedInputCountedPerReason) {
  auto hb = heartbeat();
  expect_drop(std::span(hb).first(10), DropReason::truncated);
  std::vector<std::uint8_t> junk(100, 0x41);
  expect_drop(junk, DropReason::bad_magic);
  std::vector<std::uint8_t> huge(kMaxMessageBytes + 1, 0);
  expect_drop(huge, DropReason::oversized);
  auto flipped = hb;
  flipped[kHeaderBytes] ^= 0x10;
  expect_drop(flipped, DropReason::bad_mac);
  EXPECT_EQ(orch.drops().total(), 4u);
  EXPECT_EQ(orch.accepted(), 0u);
  EXPECT_EQ(orch.guard().senders(), 0u);
  expect_accept(hb);
}

TEST_F(ControlReceiver, SenderLimit) {
  Receiver small{test_key(), {kOrchestratorId, kOrchestratorEpoch, 1}};
  EXPECT_TRUE(small.receive(heartbeat()).accepted());
  Sender second{test_key(), kAgentId + 1, kAgentEpoch};
  auto got = small.receive(*second.seal(kOrchestratorId, kOrchestratorEpoch, Body{TableAck{1}}));
  ASSERT_FALSE(got.accepted());
  EXPECT_EQ(got.drop->reason, DropReason::sender_limit);
  small.forget(kAgentId);
  EXPECT_TRUE(small.receive(*second.seal(kOrchestratorId, kOrchestratorEpoch, Body{TableAck{1}}))
                  .accepted());
}

TEST(ControlSender, NumbersMessagesAndSkipsNothingOnError) {
  Sender s{test_key(), kAgentId, kAgentEpoch, 10};
  EXPECT_EQ(s.next_sequence(), 10u);
  auto a = s.seal(kOrchestratorId, kOrchestratorEpoch, Body{TableAck{1}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(decode_message(*a, test_key())->header.sequence, 10u);
  auto bad = s.seal(kOrchestratorId, kOrchestratorEpoch, Body{Heartbeat{{2000, 0, 0, 0}, 1, Admin::up, false}});
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(s.next_sequence(), 11u);
}

}  // namespace
}  // namespace baton::control
