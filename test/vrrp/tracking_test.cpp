// Tracking: interface state and a health grade lower the effective priority by their
// weights (never to 0 or 255); a tracked interface of weight 0 means fault.
#include <gtest/gtest.h>

#include "sim_lan.hpp"

namespace baton::vrrp::test {
namespace {

Config tracked(std::string name, std::uint8_t host, std::uint8_t prio) {
  Config c = basic_config(std::move(name), host, prio);
  c.tracks = {{"uplink", TrackKind::interface, 60},
              {"downlink", TrackKind::interface, 0},
              {"grade", TrackKind::health, 100}};
  return c;
}

TEST(VrrpTracking, PenaltiesAddUpAndClamp) {
  auto inst = Instance::create(tracked("a", 1, 200));
  ASSERT_TRUE(inst.ok());
  Instance& a = *inst;
  TimePoint t{};
  EXPECT_EQ(a.priority(), 200);
  (void)a.handle(t, ev::InterfaceChanged{"uplink", false});
  EXPECT_EQ(a.priority(), 140);
  (void)a.handle(t, ev::HealthChanged{"grade", 75});  // 100 * 25 / 100
  EXPECT_EQ(a.priority(), 115);
  (void)a.handle(t, ev::HealthChanged{"grade", 0});
  EXPECT_EQ(a.priority(), 40);
  (void)a.handle(t, ev::HealthChanged{"grade", 200});  // clamped to 100: no penalty
  EXPECT_EQ(a.priority(), 140);
  (void)a.handle(t, ev::InterfaceChanged{"uplink", true});
  EXPECT_EQ(a.priority(), 200);
  (void)a.handle(t, ev::InterfaceChanged{"unknown", false});  // not tracked: ignored
  EXPECT_EQ(a.priority(), 200);

  auto low = Instance::create(tracked("b", 2, 50));
  ASSERT_TRUE(low.ok());
  (void)low->handle(t, ev::InterfaceChanged{"uplink", false});
  (void)low->handle(t, ev::HealthChanged{"grade", 0});
  EXPECT_EQ(low->priority(), 1);  // never 0: that means resignation on the wire

  auto owner = Instance::create(tracked("o", 3, 255));
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(owner->priority(), 255);
  (void)owner->handle(t, ev::HealthChanged{"grade", 99});
  EXPECT_EQ(owner->priority(), 254);  // a penalised owner is no longer the owner
}

TEST(VrrpTracking, MasterAnnouncesItsNewPriorityAndTheBackupPreempts) {
  Lan lan;
  auto a = lan.add_instance(tracked("a", 1, 200));
  auto b = lan.add_instance(basic_config("b", 2, 150));
  lan.send(a, 0, ev::Start{});
  lan.send(b, 0, ev::Start{});
  lan.advance(seconds(10));
  ASSERT_EQ(lan.state(a), State::master);
  lan.advance(milliseconds(250));
  TimePoint t = lan.now();
  lan.send(a, 0, ev::InterfaceChanged{"uplink", false});
  // At once, not at the next interval.
  EXPECT_EQ(lan.member(a).sent.back().when, t);
  EXPECT_EQ(lan.member(a).sent.back().advert.priority, 140);
  lan.advance(seconds(10));
  // b (150) discards a's 140 adverts from t on: its master-down timer, last reset by a's
  // advert before t, runs out 3 s + skew later.
  TimePoint last_accepted = lan.entered(a, 0, State::master) + seconds(7);  // 10.21875 s
  EXPECT_EQ(lan.entered(b, 0, State::master), last_accepted + mdi(seconds(1), 150));
  EXPECT_EQ(lan.state(a), State::backup);
  // The uplink returns: a (200) preempts b in turn.
  lan.send(a, 0, ev::InterfaceChanged{"uplink", true});
  lan.advance(seconds(10));
  EXPECT_EQ(lan.state(a), State::master);
  EXPECT_EQ(lan.state(b), State::backup);
}

TEST(VrrpTracking, SetPriorityIsAdvertisedAtOnceAndTheBackupPreempts) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 200, 10));
  auto b = lan.add_instance(basic_config("b", 2, 150, 10));
  lan.send(a, 0, ev::Start{});
  lan.send(b, 0, ev::Start{});
  lan.advance(seconds(1));
  ASSERT_EQ(lan.state(a), State::master);
  TimePoint t = lan.now();
  lan.send(a, 0, ev::SetPriority{100});
  EXPECT_EQ(lan.instance(a).priority(), 100);
  EXPECT_EQ(lan.member(a).sent.back().when, t);  // at once
  EXPECT_EQ(lan.member(a).sent.back().advert.priority, 100);
  lan.advance(seconds(1));
  EXPECT_EQ(lan.state(b), State::master);
  EXPECT_EQ(lan.state(a), State::backup);
  // Out of range is clamped (0 would be a resignation, 255 ownership).
  lan.send(a, 0, ev::SetPriority{255});
  EXPECT_EQ(lan.instance(a).priority(), 254);
  lan.advance(seconds(1));
  EXPECT_EQ(lan.state(a), State::master);  // preempted back
  lan.send(a, 0, ev::SetPriority{0});
  EXPECT_EQ(lan.instance(a).priority(), 1);
  // An owner keeps 255.
  auto owner = Instance::create(basic_config("o", 3, 255));
  ASSERT_TRUE(owner.ok());
  (void)owner->handle(TimePoint{}, ev::SetPriority{10});
  EXPECT_EQ(owner->priority(), 255);
}

TEST(VrrpTracking, WeightZeroInterfaceDownMeansFault) {
  Lan lan;
  auto a = lan.add_instance(tracked("a", 1, 200));
  auto b = lan.add_instance(basic_config("b", 2, 100));
  lan.send(a, 0, ev::Start{});
  lan.send(b, 0, ev::Start{});
  lan.advance(seconds(10));
  ASSERT_EQ(lan.state(a), State::master);
  TimePoint t = lan.now();
  lan.send(a, 0, ev::InterfaceChanged{"downlink", false});
  EXPECT_EQ(lan.state(a), State::fault);
  EXPECT_TRUE(lan.instance(a).own_fault());
  EXPECT_EQ(lan.member(a).sent.back().advert.priority, 0);
  EXPECT_TRUE(lan.member(a).addresses.empty());
  lan.advance(seconds(1));
  EXPECT_EQ(lan.entered(b, 0, State::master), t + skew(seconds(1), 100));
  // In fault: no adverts, no timers, adverts heard change nothing.
  std::size_t sent = lan.member(a).sent.size();
  lan.advance(seconds(20));
  EXPECT_EQ(lan.member(a).sent.size(), sent);
  EXPECT_EQ(lan.state(a), State::fault);
  // Recovery: back to backup, then preempts b (200 > 100) once master-down runs out.
  TimePoint r = lan.now();
  lan.send(a, 0, ev::InterfaceChanged{"downlink", true});
  EXPECT_EQ(lan.state(a), State::backup);
  lan.advance(seconds(10));
  EXPECT_EQ(lan.state(a), State::master);
  EXPECT_GT(lan.entered(a, 0, State::master), r);
}

TEST(VrrpTracking, StartingWithAFaultyInterfaceStaysInFault) {
  Lan lan;
  auto a = lan.add_instance(tracked("a", 1, 200));
  lan.send(a, 0, ev::InterfaceChanged{"downlink", false});
  lan.send(a, 0, ev::Start{});
  EXPECT_EQ(lan.state(a), State::fault);
  lan.advance(seconds(10));
  EXPECT_EQ(lan.state(a), State::fault);
  EXPECT_TRUE(lan.member(a).sent.empty());
  lan.send(a, 0, ev::InterfaceChanged{"downlink", true});
  EXPECT_EQ(lan.state(a), State::backup);
}

TEST(VrrpTracking, LeavingFaultRestartsThePreemptDelay) {
  Lan lan;
  Config c = tracked("a", 1, 200);
  c.preempt_delay = seconds(30);
  auto a = lan.add_instance(c);
  auto b = lan.add_instance(basic_config("b", 2, 100));
  lan.send(b, 0, ev::Start{});
  lan.advance(seconds(5));
  lan.send(a, 0, ev::Start{});
  lan.advance(seconds(40));
  ASSERT_EQ(lan.state(a), State::master);  // preempted after its 30 s
  lan.send(a, 0, ev::InterfaceChanged{"downlink", false});
  lan.advance(seconds(5));
  lan.send(a, 0, ev::InterfaceChanged{"downlink", true});
  TimePoint r = lan.now();
  lan.advance(seconds(20));
  EXPECT_EQ(lan.state(a), State::backup);  // still within the delay
  lan.advance(seconds(20));
  EXPECT_EQ(lan.state(a), State::master);
  EXPECT_GT(lan.entered(a, 0, State::master), r + seconds(30));
}

}  // namespace
}  // namespace baton::vrrp::test
