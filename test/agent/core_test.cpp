#include "agent/core.hpp"

#include <gtest/gtest.h>

#include "dist/table.hpp"

namespace baton::agent {
namespace {

using namespace std::chrono_literals;
using control::Admin;

constexpr std::uint64_t kSelfEpoch = 500;
constexpr std::uint32_t kOrchId[2] = {1, 2};
constexpr std::uint64_t kOrchEpoch[2] = {7000, 8000};

std::vector<Send> sends(const Effects& e) {
  std::vector<Send> out;
  for (const auto& x : e)
    if (auto* s = std::get_if<Send>(&x)) out.push_back(*s);
  return out;
}
std::vector<Persist> persists(const Effects& e) {
  std::vector<Persist> out;
  for (const auto& x : e)
    if (auto* p = std::get_if<Persist>(&x)) out.push_back(*p);
  return out;
}
template <typename T>
std::size_t count(const std::vector<Send>& s, std::size_t orch) {
  std::size_t n = 0;
  for (const auto& x : s) n += x.orchestrator == orch && std::holds_alternative<T>(x.body);
  return n;
}

// Drives an AgentCore with a SimClock: every deadline the core names is armed as a timer, as
// the shell does with the real loop; everything sent is collected.
struct AgentCoreTest : ::testing::Test {
  SimClock clock;
  std::unique_ptr<AgentCore> core;
  std::vector<Send> sent;
  std::vector<Persist> persisted;
  TimerId timer = 0;
  std::uint64_t seq = 1;

  void make(std::size_t orchestrators, std::optional<AdminRecord> on_disk = std::nullopt) {
    CoreConfig cfg;
    cfg.member = "gw1";
    cfg.interfaces = {{control::Side::external, "eth1", {2, 0, 0, 0, 0, 1}},
                      {control::Side::internal, "eth2", {2, 0, 0, 0, 0, 2}}};
    cfg.orchestrators = orchestrators;
    cfg.self_epoch = kSelfEpoch;
    core = std::make_unique<AgentCore>(cfg, on_disk);
    take(core->start(clock.now()));
  }
  void take(const Effects& e) {
    for (auto& s : sends(e)) sent.push_back(s);
    for (auto& p : persists(e)) persisted.push_back(p);
    clock.cancel(timer);
    timer = clock.arm(core->next_deadline(), [this] { take(core->tick(clock.now())); });
  }
  control::Message from(std::size_t i, control::Body body, std::uint64_t epoch = 0) {
    control::Header h;
    h.type = control::type_of(body);
    h.sender_id = kOrchId[i];
    h.recipient_id = agent_node_id("gw1");
    h.sender_epoch = epoch ? epoch : kOrchEpoch[i];
    h.sequence = seq++;
    h.recipient_epoch = kSelfEpoch;
    return {h, std::move(body)};
  }
  void deliver(std::size_t i, control::Body body, std::uint64_t epoch = 0) {
    take(core->on_message(i, from(i, std::move(body), epoch), clock.now(), 1'000));
  }
  void ack(std::size_t i, std::uint32_t hb_us = 10'000, std::uint64_t epoch = 0) {
    deliver(i, control::RegisterAck{3, kOrchId[i], hb_us}, epoch);
  }
  void run(Duration d) { clock.advance(d); }
  std::vector<Send> drain() { return std::exchange(sent, {}); }
};

TEST_F(AgentCoreTest, RegistersWithEveryOrchestratorAtStart) {
  make(2);
  auto s = drain();
  ASSERT_EQ(s.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(s[i].orchestrator, i);
    EXPECT_EQ(s[i].recipient_id, control::kAnyRecipient);
    EXPECT_EQ(s[i].recipient_epoch, control::kUnknownEpoch);
    const auto& r = std::get<control::Register>(s[i].body);
    EXPECT_EQ(r.name, "gw1");
    EXPECT_EQ(r.interfaces.size(), 2u);
    EXPECT_EQ(r.admin.state, Admin::up);
  }
}

TEST_F(AgentCoreTest, RegisterRetriesBackOffExponentiallyUpToTheCap) {
  make(1);
  drain();
  std::vector<Duration> gaps;
  TimePoint last = clock.now();
  for (int k = 0; k < 9; ++k) {
    clock.advance_to(core->next_deadline());
    auto s = drain();
    ASSERT_EQ(count<control::Register>(s, 0), 1u);
    gaps.push_back(clock.now() - last);
    last = clock.now();
  }
  std::vector<Duration> want = {100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms, 5s, 5s, 5s};
  EXPECT_EQ(gaps, want);
  EXPECT_EQ(count<control::Heartbeat>(sent, 0), 0u);
}

TEST_F(AgentCoreTest, AckStartsHeartbeatsAtTheGivenIntervalCarryingLoadAndAdmin) {
  make(1);
  drain();
  core->set_load({250, 1000, 64000, 12});
  ack(0, 20'000);
  EXPECT_TRUE(core->orchestrator(0).registered);
  EXPECT_EQ(core->orchestrator(0).member_id, 3);
  auto first = drain();
  ASSERT_EQ(first.size(), 1u);  // a heartbeat right away
  run(1s);
  auto s = drain();
  EXPECT_EQ(count<control::Heartbeat>(s, 0), 50u);  // every 20 ms
  EXPECT_EQ(count<control::Register>(s, 0), 0u);
  const auto& hb = std::get<control::Heartbeat>(s.back().body);
  EXPECT_EQ(hb.load, (control::Load{250, 1000, 64000, 12}));
  EXPECT_EQ(hb.admin, Admin::up);
  EXPECT_EQ(s.back().recipient_id, kOrchId[0]);
  EXPECT_EQ(s.back().recipient_epoch, kOrchEpoch[0]);
}

TEST_F(AgentCoreTest, TablePushIsAcknowledgedAndItsGenerationReported) {
  make(1);
  ack(0);
  drain();
  std::vector<dist::MemberSpec> members = {{3, 100}};
  auto table = dist::Table::build(members, 17, 42);
  ASSERT_TRUE(table.ok()) << table.error().message;
  deliver(0, control::TablePush{*table});
  auto s = drain();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(std::get<control::TableAck>(s[0].body).generation, 42u);
  EXPECT_EQ(s[0].recipient_epoch, kOrchEpoch[0]);
  EXPECT_EQ(core->generation(), 42u);
  run(10ms);
  EXPECT_EQ(std::get<control::Heartbeat>(drain().back().body).generation, 42u);
}

TEST_F(AgentCoreTest, CommandsChangeAdminStateAndAreAnswered) {
  make(1);
  ack(0);
  drain();
  deliver(0, control::Command{9, control::CommandKind::admin_down, true, "ops", "disk swap"});
  auto s = drain();
  ASSERT_EQ(s.size(), 1u);
  const auto& res = std::get<control::CommandResult>(s[0].body);
  EXPECT_EQ(res.command_id, 9u);
  EXPECT_EQ(res.status, control::CommandStatus::done);
  EXPECT_EQ(core->admin().state, (control::AdminState{Admin::down, true, "ops", "disk swap"}));
  ASSERT_EQ(persisted.size(), 1u);
  ASSERT_TRUE(persisted[0].record);
  EXPECT_EQ(persisted[0].record->state.state, Admin::down);
  run(10ms);
  auto hb = std::get<control::Heartbeat>(drain().back().body);
  EXPECT_EQ(hb.admin, Admin::down);
  EXPECT_TRUE(hb.admin_persistent);

  deliver(0, control::Command{10, control::CommandKind::admin_up, true, "ops", ""});
  EXPECT_EQ(core->admin().state.state, Admin::up);
  ASSERT_EQ(persisted.size(), 2u);
  EXPECT_FALSE(persisted[1].record);  // removed
  deliver(0, control::Command{11, control::CommandKind::resync, false, "ops", ""});
  auto r = drain();
  EXPECT_EQ(std::get<control::CommandResult>(r.back().body).command_id, 11u);
  EXPECT_EQ(std::get<control::CommandResult>(r.back().body).status, control::CommandStatus::done);
}

TEST_F(AgentCoreTest, DownWithoutPersistIsNotWrittenToDisk) {
  make(1);
  AdminOutcome o;
  take(core->on_admin({Admin::down, false, "alice", "test"}, 5, o));
  EXPECT_TRUE(o.changed);
  EXPECT_EQ(core->admin().state.state, Admin::down);
  EXPECT_FALSE(core->admin().state.persistent);
  EXPECT_EQ(core->admin().since_ms, 5);
  EXPECT_TRUE(persisted.empty());
  take(core->on_admin({Admin::down, false, "alice", "again"}, 6, o));
  EXPECT_FALSE(o.changed);
  take(core->on_admin({Admin::up, false, "alice", ""}, 7, o));
  EXPECT_TRUE(o.changed);
  EXPECT_EQ(core->admin().state.state, Admin::up);
  EXPECT_TRUE(persisted.empty());
}

TEST_F(AgentCoreTest, PlainUpLeavesAPersistentDownOnDiskUpPRemovesIt) {
  AdminRecord disk{{Admin::down, true, "bob", "maintenance"}, 100};
  make(1, disk);
  EXPECT_EQ(core->admin(), disk);  // a persisted down applies at start
  EXPECT_EQ(std::get<control::Register>(drain()[0].body).admin, disk.state);
  AdminOutcome o;
  take(core->on_admin({Admin::up, false, "alice", ""}, 200, o));
  EXPECT_TRUE(o.changed);
  EXPECT_EQ(core->admin().state.state, Admin::up);
  EXPECT_TRUE(core->persisted().has_value());
  EXPECT_NE(o.summary.find("up -p removes it"), std::string::npos) << o.summary;
  EXPECT_TRUE(persisted.empty());
  take(core->on_admin({Admin::up, true, "alice", ""}, 300, o));
  EXPECT_TRUE(o.changed);  // the stored down went
  ASSERT_EQ(persisted.size(), 1u);
  EXPECT_FALSE(persisted[0].record);
  EXPECT_FALSE(core->persisted().has_value());
  take(core->on_admin({Admin::up, true, "alice", ""}, 400, o));
  EXPECT_FALSE(o.changed);
  EXPECT_EQ(persisted.size(), 1u);
}

TEST_F(AgentCoreTest, DownPAfterPlainDownMakesItPersistent) {
  make(1);
  AdminOutcome o;
  take(core->on_admin({Admin::down, false, "a", ""}, 1, o));
  take(core->on_admin({Admin::down, true, "b", "why"}, 2, o));
  EXPECT_TRUE(o.changed);
  EXPECT_TRUE(core->admin().state.persistent);
  ASSERT_EQ(persisted.size(), 1u);
  EXPECT_EQ(persisted[0].record->state.who, "b");
}

TEST_F(AgentCoreTest, WhoAndReasonAreKeptWithinTheChannelLimits) {
  make(1);
  AdminOutcome o;
  take(core->on_admin({Admin::down, true, std::string(100, 'w') + "\n", std::string(300, 'r')}, 1, o));
  EXPECT_EQ(core->admin().state.who, std::string(64, 'w'));
  EXPECT_EQ(core->admin().state.reason.size(), control::kMaxTextBytes);
}

TEST_F(AgentCoreTest, SilentOrchestratorIsAskedToRegisterAgainWhileHeartbeatsGoOn) {
  make(1);
  ack(0);
  drain();
  run(2900ms);
  EXPECT_EQ(count<control::Register>(drain(), 0), 0u);
  run(150ms);  // 3 s of silence (the retry after it would come 100 ms later)
  auto s = drain();
  EXPECT_EQ(count<control::Register>(s, 0), 1u);
  EXPECT_GT(count<control::Heartbeat>(s, 0), 0u);
  // The orchestrator restarted: its new session acknowledges, and heartbeats follow it.
  ack(0, 10'000, kOrchEpoch[0] + 1);
  EXPECT_EQ(core->orchestrator(0).epoch, kOrchEpoch[0] + 1);
  run(10ms);
  EXPECT_EQ(drain().back().recipient_epoch, kOrchEpoch[0] + 1);
}

TEST_F(AgentCoreTest, OrchestratorSilentForTwiceTheSilenceIsLost) {
  make(1);
  ack(0);
  run(5900ms);
  EXPECT_TRUE(core->orchestrator(0).registered);
  drain();
  run(200ms);  // 6 s without a word
  EXPECT_FALSE(core->orchestrator(0).registered);
  drain();
  run(4s);
  auto s = drain();
  EXPECT_EQ(count<control::Heartbeat>(s, 0), 0u);
  EXPECT_GE(count<control::Register>(s, 0), 1u);  // the back-off goes on: 3.2 s, then 5 s
  ack(0);  // back
  EXPECT_TRUE(core->orchestrator(0).registered);
  run(100ms);
  EXPECT_EQ(count<control::Heartbeat>(drain(), 0), 11u);
}

TEST_F(AgentCoreTest, MessageFromANewOrchestratorSessionTriggersRegister) {
  make(1);
  ack(0);
  drain();
  deliver(0, control::Command{1, control::CommandKind::resync, false, "", ""}, kOrchEpoch[0] + 5);
  auto s = drain();
  EXPECT_EQ(count<control::Register>(s, 0), 1u);
  EXPECT_EQ(count<control::CommandResult>(s, 0), 1u);
  EXPECT_EQ(s.back().recipient_epoch, kOrchEpoch[0] + 5);  // the answer goes to the sender
}

TEST_F(AgentCoreTest, AuthenticDropNamingAnOldSessionOfOursTriggersRegister) {
  make(1);
  ack(0);
  drain();
  control::Header h = from(0, control::Command{}).header;
  h.recipient_epoch = kSelfEpoch - 1;
  take(core->on_authentic_drop(0, h, clock.now()));
  EXPECT_EQ(count<control::Register>(drain(), 0), 1u);
  // A second one right after is paced by the back-off.
  take(core->on_authentic_drop(0, h, clock.now()));
  EXPECT_EQ(count<control::Register>(drain(), 0), 0u);
  // A replay of the current session's message changes nothing.
  run(1s);
  drain();
  control::Header replay = from(0, control::Command{}).header;
  take(core->on_authentic_drop(0, replay, clock.now()));
  EXPECT_EQ(count<control::Register>(drain(), 0), 0u);
}

TEST_F(AgentCoreTest, OneOfTwoOrchestratorsDownTheOtherGetsHeartbeats) {
  make(2);
  drain();
  ack(0);
  run(1s);
  auto s = drain();
  EXPECT_EQ(count<control::Heartbeat>(s, 0), 101u);
  EXPECT_EQ(count<control::Heartbeat>(s, 1), 0u);
  EXPECT_GE(count<control::Register>(s, 1), 3u);  // still trying the other one
  EXPECT_FALSE(core->orchestrator(1).registered);
  ack(1);
  run(100ms);
  s = drain();
  EXPECT_EQ(count<control::Heartbeat>(s, 1), 11u);
  EXPECT_EQ(count<control::Heartbeat>(s, 0), 10u);
}

TEST_F(AgentCoreTest, AgentNodeIdIsStableNonZeroAndNotAnOrchestratorId) {
  EXPECT_EQ(agent_node_id("gw1"), agent_node_id("gw1"));
  EXPECT_NE(agent_node_id("gw1"), agent_node_id("gw2"));
  EXPECT_GT(agent_node_id("gw1"), 255u);
}

}  // namespace
}  // namespace baton::agent
