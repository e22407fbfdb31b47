#include "vrrp/io/heartbeat.hpp"

#include <gtest/gtest.h>

#include <variant>

namespace baton::vrrp::io {
namespace {

using namespace std::chrono_literals;

template <typename T>
int count(const HeartbeatEffects& fx) {
  int n = 0;
  for (const auto& e : fx) n += std::holds_alternative<T>(e) ? 1 : 0;
  return n;
}

HeartbeatMessage from_peer(bool serving = true, std::uint32_t id = 2) {
  HeartbeatMessage m;
  m.sender = id;
  m.serving = serving;
  m.interval_us = 1000;
  m.multiplier = 3;
  return m;
}

TimePoint at(Duration d) { return TimePoint{} + d; }

TEST(Heartbeat, SendsEveryInterval) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  EXPECT_EQ(count<hb::Send>(d.on_tick(at(0ms))), 1);
  EXPECT_EQ(d.next_deadline(), at(1ms));
  EXPECT_EQ(count<hb::Send>(d.on_tick(at(500us))), 0);
  auto fx = d.on_tick(at(1ms));
  ASSERT_EQ(count<hb::Send>(fx), 1);
  EXPECT_EQ(std::get<hb::Send>(fx[0]).message.seq, 2u);
  EXPECT_EQ(std::get<hb::Send>(fx[0]).message.interval_us, 1000u);
}

TEST(Heartbeat, PeerDeclaredDeadAfterMultiplierIntervals) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  EXPECT_EQ(count<hb::PeerUp>(d.on_receive(at(0ms), from_peer())), 1);
  EXPECT_EQ(d.peer(), PeerState::up);
  for (auto t = 1ms; t <= 3ms; t += 1ms) EXPECT_EQ(count<hb::PeerDown>(d.on_tick(at(t))), 0);
  // The deadline is just past 3 ms of silence.
  EXPECT_EQ(d.next_deadline(), at(3ms) + Duration{1});
  auto fx = d.on_tick(d.next_deadline());
  ASSERT_EQ(count<hb::PeerDown>(fx), 1);
  EXPECT_EQ(d.peer(), PeerState::down);
  EXPECT_EQ(d.stats().peer_down, 1u);
  // Declared once, not again on every tick.
  EXPECT_EQ(count<hb::PeerDown>(d.on_tick(at(4ms))), 0);
}

TEST(Heartbeat, ArrivingMessagesKeepThePeerUp) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  for (auto t = 0ms; t < 50ms; t += 1ms) {
    d.on_receive(at(t), from_peer());
    EXPECT_EQ(count<hb::PeerDown>(d.on_tick(at(t) + 500us)), 0);
  }
  EXPECT_EQ(d.peer(), PeerState::up);
}

TEST(Heartbeat, NeverHeardPeerIsNotDeclaredDead) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  for (auto t = 0ms; t < 20ms; t += 1ms) EXPECT_EQ(count<hb::PeerDown>(d.on_tick(at(t))), 0);
  EXPECT_EQ(d.peer(), PeerState::unknown);
}

TEST(Heartbeat, UsesThePeersAdvertisedTiming) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  HeartbeatMessage slow = from_peer();
  slow.interval_us = 5000;
  slow.multiplier = 4;
  d.on_receive(at(0ms), slow);
  EXPECT_EQ(d.detection_time(), 20ms);
  for (auto t = 1ms; t <= 20ms; t += 1ms) EXPECT_EQ(count<hb::PeerDown>(d.on_tick(at(t))), 0);
  EXPECT_EQ(count<hb::PeerDown>(d.on_tick(at(21ms))), 1);
}

TEST(Heartbeat, OwnStallDoesNotCountAsPeerSilence) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  d.on_receive(at(0ms), from_peer());
  d.on_tick(at(1ms));
  // We were not run for 10 ms (descheduled): the peer is not declared dead for it.
  auto fx = d.on_tick(at(11ms));
  EXPECT_EQ(count<hb::Stalled>(fx), 1);
  EXPECT_EQ(count<hb::PeerDown>(fx), 0);
  EXPECT_EQ(d.stats().stalls, 1u);
  EXPECT_EQ(d.stats().max_gap, 10ms);
  // ...but it gets only a fresh detection time: real silence after the stall still counts.
  EXPECT_EQ(count<hb::PeerDown>(d.on_tick(at(12ms))), 0);
  EXPECT_EQ(count<hb::PeerDown>(d.on_tick(at(13ms))), 0);
  EXPECT_EQ(count<hb::PeerDown>(d.on_tick(at(14ms) + 1us)), 1);
}

TEST(Heartbeat, PeerThatStopsServingIsReportedOnce) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  d.on_receive(at(0ms), from_peer(true));
  auto fx = d.on_receive(at(1ms), from_peer(false));
  ASSERT_EQ(count<hb::PeerNotServing>(fx), 1);
  EXPECT_TRUE(std::get<hb::PeerNotServing>(fx[0]).was_serving);
  EXPECT_FALSE(d.peer_serving());
  EXPECT_EQ(count<hb::PeerNotServing>(d.on_receive(at(2ms), from_peer(false))), 0);
  d.on_receive(at(3ms), from_peer(true));
  EXPECT_EQ(count<hb::PeerNotServing>(d.on_receive(at(4ms), from_peer(false))), 1);
}

TEST(Heartbeat, FirstMessageNotServingIsReported) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  auto fx = d.on_receive(at(0ms), from_peer(false));
  EXPECT_EQ(count<hb::PeerUp>(fx), 1);
  ASSERT_EQ(count<hb::PeerNotServing>(fx), 1);
  // A peer starting up says so; it never served, so this is no reason to take over at once.
  EXPECT_FALSE(std::get<hb::PeerNotServing>(fx[1]).was_serving);
}

TEST(Heartbeat, RefusedAndSilentPeerIsGone) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  d.on_receive(at(0ms), from_peer());
  d.on_tick(at(1ms));
  EXPECT_TRUE(d.on_refused(at(1500us)).empty());  // silent 1.5 ms: not yet a verdict
  d.on_tick(at(2ms));
  auto fx = d.on_tick(at(3ms) + 1us);
  EXPECT_EQ(count<hb::PeerDown>(fx), 0);
  ASSERT_EQ(count<hb::PeerGone>(fx), 1);
  EXPECT_EQ(d.peer(), PeerState::down);
  EXPECT_EQ(d.stats().peer_down, 1u);
  EXPECT_EQ(d.stats().peer_gone, 1u);
  EXPECT_TRUE(d.on_refused(at(4ms)).empty());  // once
}

TEST(Heartbeat, RefusalAfterTheSilenceVerdictUpgradesIt) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  d.on_receive(at(0ms), from_peer());
  for (auto t = 1ms; t <= 3ms; t += 1ms) d.on_tick(at(t));
  EXPECT_EQ(count<hb::PeerDown>(d.on_tick(at(3ms) + 1us)), 1);
  auto fx = d.on_refused(at(3500us));
  ASSERT_EQ(count<hb::PeerGone>(fx), 1);
  EXPECT_EQ(std::get<hb::PeerGone>(fx[0]).silence, 3500us);
}

TEST(Heartbeat, RefusalWhileMessagesArriveIsNoVerdict) {
  // A firewall on the peer rejecting our messages one way: its own keep coming.
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  for (auto t = 0ms; t < 20ms; t += 1ms) {
    auto fx = d.on_receive(at(t), from_peer());
    auto r = d.on_refused(at(t) + 300us);
    auto tick = d.on_tick(at(t) + 600us);
    EXPECT_EQ(count<hb::PeerGone>(r) + count<hb::PeerGone>(tick) + count<hb::PeerDown>(tick), 0);
  }
  EXPECT_EQ(d.peer(), PeerState::up);
}

TEST(Heartbeat, ARefusalIsForgottenWhenThePeerSpeaksAgain) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  d.on_receive(at(0ms), from_peer());
  d.on_refused(at(500us));  // the peer's daemon restarting
  d.on_receive(at(1ms), from_peer());
  d.on_tick(at(2ms));  // then silence, with no refusal: a host that died
  d.on_tick(at(3ms));
  auto fx = d.on_tick(at(4ms) + 1us);
  EXPECT_EQ(count<hb::PeerDown>(fx), 1);
  EXPECT_EQ(count<hb::PeerGone>(fx), 0);
}

TEST(Heartbeat, OwnMessagesAreIgnored) {
  HeartbeatDetector d({1ms, 3}, 7, at(0ms));
  EXPECT_TRUE(d.on_receive(at(0ms), from_peer(true, 7)).empty());
  EXPECT_EQ(d.peer(), PeerState::unknown);
}

TEST(Heartbeat, LocalStateGoesIntoMessages) {
  HeartbeatDetector d({1ms, 3}, 1, at(0ms));
  d.set_local(false, true);
  auto fx = d.on_tick(at(0ms));
  ASSERT_EQ(count<hb::Send>(fx), 1);
  EXPECT_FALSE(std::get<hb::Send>(fx[0]).message.serving);
  EXPECT_TRUE(std::get<hb::Send>(fx[0]).message.master);
}

}  // namespace
}  // namespace baton::vrrp::io
