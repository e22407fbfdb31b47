// The VRRP state machine on simulated segments: every transition, with timing exact to the
// nanosecond of the simulated clock.
#include "vrrp/instance.hpp"

#include <gtest/gtest.h>

#include "sim_lan.hpp"
#include "vrrp/ip_packet.hpp"

namespace baton::vrrp::test {
namespace {

template <typename T>
std::vector<T> only(const std::vector<Effect>& fx) {
  std::vector<T> out;
  for (const auto& e : fx)
    if (const auto* x = std::get_if<T>(&e)) out.push_back(*x);
  return out;
}

TEST(VrrpInstance, LoneBackupTakesOverAtMasterDownExactly) {
  Lan lan;
  auto b = lan.add_instance(basic_config("b", 2, 100));
  lan.send(b, 0, ev::Start{});
  EXPECT_EQ(lan.state(b), State::backup);
  EXPECT_EQ(lan.instance(b).master_down_interval(), seconds(3) + nanoseconds(609375000));
  lan.advance(seconds(3) + nanoseconds(609374999));
  EXPECT_EQ(lan.state(b), State::backup);
  lan.advance(nanoseconds(1));
  EXPECT_EQ(lan.state(b), State::master);
  EXPECT_EQ(lan.entered(b, 0, State::master), at(seconds(3) + nanoseconds(609375000)));
}

TEST(VrrpInstance, TenMillisecondIntervalTakesOverAt30msPlusSkew) {
  Lan lan;
  auto b = lan.add_instance(basic_config("b", 2, 100, 1));
  lan.send(b, 0, ev::Start{});
  // Skew = 156 * 10 ms / 256 = 6.09375 ms.
  lan.advance(milliseconds(40));
  EXPECT_EQ(lan.entered(b, 0, State::master), at(milliseconds(30) + nanoseconds(6093750)));
}

TEST(VrrpInstance, TakeoverEffectsComeInDesignOrder) {
  Lan lan;
  auto b = lan.add_instance(basic_config("b", 2, 100));
  lan.send(b, 0, ev::Start{});
  auto& m = lan.member(b);
  m.effects.clear();
  lan.advance(seconds(4));
  ASSERT_GE(m.effects.size(), 6u);
  EXPECT_TRUE(std::holds_alternative<fx::StateChanged>(m.effects[0]));
  EXPECT_TRUE(std::holds_alternative<fx::CancelTimer>(m.effects[1]));
  EXPECT_TRUE(std::holds_alternative<fx::AddAddresses>(m.effects[2]));
  EXPECT_TRUE(std::holds_alternative<fx::SendAdvert>(m.effects[3]));
  EXPECT_TRUE(std::holds_alternative<fx::Announce>(m.effects[4]));
  EXPECT_TRUE(std::holds_alternative<fx::ArmTimer>(m.effects[5]));
  EXPECT_EQ(m.addresses, (std::set<IpAddr>{IpAddr::v4(10, 0, 0, 100)}));
  auto changed = std::get<fx::StateChanged>(m.effects[0]);
  EXPECT_EQ(changed.from, State::backup);
  EXPECT_NE(changed.reason.find("master-down timer expired"), std::string::npos) << changed.reason;
}

TEST(VrrpInstance, OwnerBecomesMasterAtOnceAndAdvertisesEveryInterval) {
  Lan lan;
  auto o = lan.add_instance(basic_config("owner", 1, 255));
  lan.send(o, 0, ev::Start{});
  EXPECT_EQ(lan.state(o), State::master);
  auto& m = lan.member(o);
  ASSERT_EQ(m.sent.size(), 1u);
  EXPECT_EQ(m.sent[0].advert.priority, 255);
  EXPECT_EQ(m.announces.size(), 1u);
  lan.advance(seconds(10));
  ASSERT_EQ(m.sent.size(), 11u);
  for (std::size_t i = 0; i < m.sent.size(); ++i) EXPECT_EQ(m.sent[i].when, at(seconds(i)));
}

TEST(VrrpInstance, BackupFollowsAMasterAndTakesOverWhenItDies) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 200));
  auto b = lan.add_instance(basic_config("b", 2, 100));
  lan.send(a, 0, ev::Start{});
  lan.send(b, 0, ev::Start{});
  lan.advance(seconds(10));
  ASSERT_EQ(lan.state(a), State::master);
  ASSERT_EQ(lan.state(b), State::backup);
  TimePoint a_master = at(mdi(seconds(1), 200));
  EXPECT_EQ(lan.entered(a, 0, State::master), a_master);
  EXPECT_EQ(lan.instance(b).master_address(), IpAddr::v4(10, 0, 0, 1));
  // a (priority 200) timed out first: 3 s + 56/256 s. It dies at 20.5 s; its last advert
  // left at a_master + 17 s.
  lan.advance_to(at(milliseconds(20500)));
  lan.member(a).link_up = false;
  TimePoint last = lan.member(a).sent.back().when;
  EXPECT_EQ(last, a_master + seconds(17));
  lan.advance(seconds(10));
  EXPECT_EQ(lan.entered(b, 0, State::master), last + mdi(seconds(1), 100));
}

TEST(VrrpInstance, HigherPriorityBackupPreempts) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 100));
  lan.send(a, 0, ev::Start{});
  lan.advance(seconds(5));
  ASSERT_EQ(lan.state(a), State::master);
  auto b = lan.add_instance(basic_config("b", 2, 200));
  lan.send(b, 0, ev::Start{});  // at 5 s
  lan.advance(seconds(10));
  // b discards a's lower-priority adverts, so its master-down timer from start runs out.
  TimePoint b_master = at(seconds(5) + mdi(seconds(1), 200));
  EXPECT_EQ(lan.entered(b, 0, State::master), b_master);
  // a hears b's first advert at that same instant and steps down.
  EXPECT_EQ(lan.entered(a, 0, State::backup), b_master);
  EXPECT_EQ(lan.state(a), State::backup);
  EXPECT_TRUE(lan.member(a).addresses.empty());
  EXPECT_EQ(lan.masters_on(0), 1u);
}

TEST(VrrpInstance, WithoutPreemptAHigherPriorityBackupWaits) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 100));
  lan.send(a, 0, ev::Start{});
  lan.advance(seconds(5));
  Config c = basic_config("b", 2, 200);
  c.preempt = false;
  auto b = lan.add_instance(c);
  lan.send(b, 0, ev::Start{});
  lan.advance(seconds(60));
  EXPECT_EQ(lan.state(a), State::master);
  EXPECT_EQ(lan.state(b), State::backup);
}

TEST(VrrpInstance, PreemptDelayHoldsOffTakeover) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 100));
  lan.send(a, 0, ev::Start{});
  lan.advance(seconds(5));
  TimePoint a_master = lan.entered(a, 0, State::master);
  Config c = basic_config("b", 2, 200);
  c.preempt_delay = seconds(10);
  auto b = lan.add_instance(c);
  lan.send(b, 0, ev::Start{});  // at 5 s: may preempt from 15 s on
  lan.advance(seconds(20));
  // a advertises at a_master + k s; b accepts those before 15 s, the last one restarts its
  // master-down timer, which then runs out.
  TimePoint last_accepted = a_master;
  while (last_accepted + seconds(1) < at(seconds(15))) last_accepted += seconds(1);
  EXPECT_EQ(lan.entered(b, 0, State::master), last_accepted + mdi(seconds(1), 200));
  EXPECT_EQ(lan.state(a), State::backup);
}

TEST(VrrpInstance, StartupHoldKeepsABusyStarterFromTakingOverAHealthyMaster) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 200, 1));
  lan.send(a, 0, ev::Start{});
  lan.advance(milliseconds(100));
  ASSERT_EQ(lan.state(a), State::master);
  Config c = basic_config("b", 2, 100, 1);
  c.startup_hold = milliseconds(500);
  auto b = lan.add_instance(c);
  // b starts deaf (too busy to read its socket): its master-down timer (36 ms) runs out
  // during the hold, which keeps it backup.
  lan.member(b).link_up = false;
  lan.send(b, 0, ev::Start{});
  lan.advance(milliseconds(200));
  EXPECT_EQ(lan.state(b), State::backup);
  lan.member(b).link_up = true;  // it catches up and hears a's adverts: stays backup
  lan.advance(seconds(2));
  EXPECT_EQ(lan.state(b), State::backup);
  EXPECT_EQ(lan.state(a), State::master);
  // Without a master the hold only delays: a lone starter takes over when it ends.
  Lan lone;
  auto d = lone.add_instance(c);
  lone.send(d, 0, ev::Start{});
  lone.advance(seconds(1));
  EXPECT_EQ(lone.entered(d, 0, State::master), at(milliseconds(500)));
}

TEST(VrrpInstance, StartupHoldYieldsToAResignation) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 200, 1));
  lan.send(a, 0, ev::Start{});
  lan.advance(milliseconds(100));
  Config c = basic_config("b", 2, 100, 1);
  c.startup_hold = seconds(5);
  auto b = lan.add_instance(c);
  lan.send(b, 0, ev::Start{});
  lan.advance(milliseconds(100));
  TimePoint t = lan.now();
  lan.send(a, 0, ev::Shutdown{});  // priority 0: a planned hand-over, followed at once
  lan.advance(milliseconds(100));
  ASSERT_EQ(lan.state(b), State::master);
  EXPECT_LT(lan.entered(b, 0, State::master), t + milliseconds(10));
}

TEST(VrrpInstance, PriorityZeroHandsOverAtSkewTime) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 200));
  auto b = lan.add_instance(basic_config("b", 2, 100));
  lan.send(a, 0, ev::Start{});
  lan.send(b, 0, ev::Start{});
  lan.advance(seconds(10));
  ASSERT_EQ(lan.state(a), State::master);
  lan.advance(milliseconds(300));
  TimePoint t = lan.now();
  lan.send(a, 0, ev::Shutdown{});
  EXPECT_EQ(lan.state(a), State::initialize);
  EXPECT_EQ(lan.member(a).sent.back().advert.priority, 0);
  EXPECT_TRUE(lan.member(a).addresses.empty());
  lan.advance(seconds(1));
  // Skew_Time with b's priority 100 and the adopted 1 s interval: 609.375 ms.
  EXPECT_EQ(lan.entered(b, 0, State::master), t + nanoseconds(609375000));
}

// a (priority 200) is master and b (100) backup on one segment, 10 ms adverts, started a
// second ago.
class VrrpSettledPair : public ::testing::Test {
 protected:
  VrrpSettledPair() {
    lan.send(a, 0, ev::Start{});
    lan.send(b, 0, ev::Start{});
    lan.advance(seconds(1));
  }
  Lan lan;
  std::size_t a = lan.add_instance(basic_config("a", 1, 200, 1));
  std::size_t b = lan.add_instance(basic_config("b", 2, 100, 1));
};

TEST_F(VrrpSettledPair, PlannedResignationLosesNothingAndSticks) {
  ASSERT_EQ(lan.state(a), State::master);
  TimePoint t = lan.now();
  lan.send(a, 0, ev::Resign{});
  EXPECT_EQ(lan.state(a), State::backup);
  EXPECT_EQ(lan.member(a).sent.back().advert.priority, 0);
  // a still holds the address while b waits out its skew time.
  EXPECT_FALSE(lan.member(a).addresses.empty());
  EXPECT_TRUE(lan.instance(a).holding_addresses());
  lan.advance(nanoseconds(6093749));
  EXPECT_EQ(lan.state(b), State::backup);
  EXPECT_FALSE(lan.member(a).addresses.empty());
  lan.advance(nanoseconds(1));
  EXPECT_EQ(lan.entered(b, 0, State::master), t + nanoseconds(6093750));
  // b's first advert reached a: a lets the address go at that instant.
  EXPECT_TRUE(lan.member(a).addresses.empty());
  EXPECT_FALSE(lan.member(b).addresses.empty());
  // a has priority 200 but resigned: it does not preempt b...
  lan.advance(seconds(5));
  EXPECT_EQ(lan.state(b), State::master);
  EXPECT_EQ(lan.state(a), State::backup);
  // ...until told it may; then its master-down timer runs out over b's lower adverts.
  TimePoint u = lan.now();
  lan.send(a, 0, ev::Unresign{});
  lan.advance(seconds(1));
  EXPECT_EQ(lan.state(a), State::master);
  EXPECT_EQ(lan.state(b), State::backup);
  EXPECT_GT(lan.entered(a, 0, State::master), u);
  EXPECT_LE(lan.entered(a, 0, State::master), u + mdi(milliseconds(10), 200));
}

TEST(VrrpInstance, ResignWithNobodyToTakeOverComesBack) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 200));
  lan.send(a, 0, ev::Start{});
  lan.advance(seconds(5));
  lan.send(a, 0, ev::Resign{});
  TimePoint t = lan.now();
  std::size_t adds = only<fx::AddAddresses>(lan.member(a).effects).size();
  lan.advance(seconds(5));
  EXPECT_EQ(lan.entered(a, 0, State::master), t + mdi(seconds(1), 200));
  EXPECT_FALSE(lan.member(a).addresses.empty());
  // The addresses never left, so no second AddAddresses.
  EXPECT_EQ(only<fx::AddAddresses>(lan.member(a).effects).size(), adds);
}

TEST(VrrpInstance, EqualPrioritiesTieOnTheHigherPrimaryAddress) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 100));
  auto b = lan.add_instance(basic_config("b", 2, 100));
  lan.send(a, 0, ev::Start{});
  lan.send(b, 0, ev::Start{});
  // Both time out at the same instant and both become master...
  lan.advance(mdi(seconds(1), 100));
  EXPECT_EQ(lan.entered(a, 0, State::master), at(mdi(seconds(1), 100)));
  EXPECT_EQ(lan.entered(b, 0, State::master), at(mdi(seconds(1), 100)));
  // ...and each hears the other's advert at once: 10.0.0.2 > 10.0.0.1 wins.
  EXPECT_EQ(lan.state(b), State::master);
  EXPECT_EQ(lan.state(a), State::backup);
  EXPECT_EQ(lan.entered(a, 0, State::backup), at(mdi(seconds(1), 100)));
  lan.advance(seconds(30));
  EXPECT_EQ(lan.masters_on(0), 1u);
  EXPECT_EQ(lan.state(b), State::master);
}

TEST(VrrpInstance, EqualPriorityBackupDoesNotPreemptARunningMaster) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 100));
  lan.send(a, 0, ev::Start{});
  lan.advance(seconds(5));
  auto b = lan.add_instance(basic_config("b", 2, 100));  // higher address, same priority
  lan.send(b, 0, ev::Start{});
  lan.advance(seconds(30));
  EXPECT_EQ(lan.state(a), State::master);
  EXPECT_EQ(lan.state(b), State::backup);
}

TEST(VrrpInstance, BackupAdoptsTheMastersInterval) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 200, 10));  // 100 ms
  auto b = lan.add_instance(basic_config("b", 2, 100, 100));  // 1 s configured
  lan.send(a, 0, ev::Start{});
  lan.advance(seconds(1));
  lan.send(b, 0, ev::Start{});
  lan.advance(seconds(1));
  EXPECT_EQ(lan.instance(b).master_adver_interval(), milliseconds(100));
  EXPECT_EQ(lan.instance(b).master_down_interval(), mdi(milliseconds(100), 100));
  lan.member(a).link_up = false;
  TimePoint last = lan.member(a).sent.back().when;
  lan.advance(seconds(1));
  EXPECT_EQ(lan.entered(b, 0, State::master), last + mdi(milliseconds(100), 100));
  // As master, b advertises at its own configured interval.
  auto& sent = lan.member(b).sent;
  ASSERT_GE(sent.size(), 1u);
  EXPECT_EQ(sent.back().advert.interval_cs, 100);
}

TEST(VrrpInstance, MasterReassertsOverALowerPriorityMaster) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 200));
  lan.send(a, 0, ev::Start{});
  lan.advance(seconds(5));
  auto& m = lan.member(a);
  std::size_t sent = m.sent.size(), announced = m.announces.size();
  Advert lower;
  lower.vrid = 7;
  lower.priority = 50;
  lower.addresses = {IpAddr::v4(10, 0, 0, 100)};
  lan.send(a, 0, ev::AdvertReceived{lower, IpAddr::v4(10, 0, 0, 9)});
  EXPECT_EQ(lan.state(a), State::master);
  ASSERT_EQ(m.sent.size(), sent + 1);
  EXPECT_EQ(m.sent.back().when, lan.now());
  EXPECT_EQ(m.sent.back().advert.priority, 200);
  EXPECT_EQ(m.announces.size(), announced + 1);
}

TEST(VrrpInstance, MasterStepsDownForHigherPriorityOrEqualFromHigherAddress) {
  for (auto [prio, host, steps] : {std::tuple{201, 1, true}, std::tuple{200, 9, true},
                                   std::tuple{200, 0, false}, std::tuple{199, 9, false}}) {
    Lan lan;
    auto a = lan.add_instance(basic_config("a", 5, 200));
    lan.send(a, 0, ev::Start{});
    lan.advance(seconds(5));
    Advert other;
    other.vrid = 7;
    other.priority = static_cast<std::uint8_t>(prio);
    other.interval_cs = 50;
    other.addresses = {IpAddr::v4(10, 0, 0, 100)};
    auto from = IpAddr::v4(10, 0, 0, static_cast<std::uint8_t>(host));
    lan.send(a, 0, ev::AdvertReceived{other, from});
    EXPECT_EQ(lan.state(a), steps ? State::backup : State::master) << prio << " " << host;
    if (steps) {
      EXPECT_TRUE(lan.member(a).addresses.empty());
      EXPECT_EQ(lan.instance(a).master_adver_interval(), milliseconds(500));
    }
  }
}

TEST(VrrpInstance, ShutdownFromBackupSendsNothing) {
  Lan lan;
  auto b = lan.add_instance(basic_config("b", 2, 100));
  lan.send(b, 0, ev::Start{});
  lan.advance(seconds(1));
  lan.send(b, 0, ev::Shutdown{});
  EXPECT_EQ(lan.state(b), State::initialize);
  lan.advance(seconds(10));
  EXPECT_TRUE(lan.member(b).sent.empty());
  EXPECT_EQ(lan.state(b), State::initialize);
}

TEST(VrrpInstance, MalformedAdvertsAreCountedAndChangeNothing) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 200));
  auto b = lan.add_instance(basic_config("b", 2, 100));
  lan.send(a, 0, ev::Start{});
  lan.send(b, 0, ev::Start{});
  lan.advance(seconds(5));
  ASSERT_EQ(lan.state(a), State::master);
  lan.member(a).link_up = false;
  TimePoint last = lan.member(a).sent.back().when;

  // Between a's death and b's takeover, a higher-priority advert arrives broken in every
  // way the wire allows. b must neither step back (reset its timer) nor move.
  auto src = IpAddr::v4(10, 0, 0, 3);
  auto dst = vrrp_group(Family::ipv4);
  Advert hi;
  hi.vrid = 7;
  hi.priority = 250;
  hi.addresses = {IpAddr::v4(10, 0, 0, 100)};
  auto wire = *encode_advert(hi, src, dst);
  auto feed = [&](std::vector<std::uint8_t> msg, std::uint8_t ttl = 255, IpAddr from = IpAddr{}) {
    IpAddr s = from.is_unspecified() ? src : from;
    auto packet = encode_ip_packet(s, dst, ttl, msg);
    auto rx = parse_ip_packet(packet);
    ASSERT_TRUE(rx.ok());
    lan.receive(b, 0, *rx);
  };
  Advert other_vrid = hi;
  other_vrid.vrid = 8;
  auto bad_sum = wire;
  bad_sum.at(7) ^= 1;
  auto bad_ver = wire;
  bad_ver.at(0) = 0x21;  // v2 to a v3 router
  lan.advance(milliseconds(500));
  feed(wire, 64);
  feed(bad_sum);
  feed(*encode_advert(other_vrid, src, dst));
  feed({wire.begin(), wire.begin() + 5});
  feed(bad_ver);
  feed(wire, 255, IpAddr::v4(224, 0, 0, 1));
  const DropCounters& d = lan.member(b).drops;
  EXPECT_EQ(d[DropReason::bad_ttl], 1u);
  EXPECT_EQ(d[DropReason::bad_checksum], 1u);
  EXPECT_EQ(d[DropReason::bad_length], 1u);  // as v2 it lacks the 8 bytes of auth data
  EXPECT_EQ(d[DropReason::wrong_vrid], 1u);
  EXPECT_EQ(d[DropReason::short_packet], 1u);
  EXPECT_EQ(d[DropReason::bad_source], 1u);
  EXPECT_EQ(d.total(), 6u);
  lan.advance(seconds(5));
  EXPECT_EQ(lan.entered(b, 0, State::master), last + mdi(seconds(1), 100));
}

TEST_F(VrrpSettledPair, PeerDownOnSilenceTakesOverOneIntervalAfterTheNextAdvertWasDue) {
  lan.member(a).link_up = false;  // a's host dies
  TimePoint last = lan.member(a).sent.back().when;
  lan.advance(milliseconds(3));
  lan.send(b, 0, ev::PeerDown{});
  EXPECT_EQ(lan.state(b), State::backup);  // silence alone: the next advert may be late
  lan.advance(milliseconds(30));
  // The advert due 10 ms after the last one, overdue by one more interval (more than half
  // the skew, 3.05 ms): 20 ms after the last advert instead of 30 ms + skew (36.1 ms).
  EXPECT_EQ(lan.entered(b, 0, State::master), last + milliseconds(20));
  auto reason = lan.member(b).changes.back().change.reason;
  EXPECT_NE(reason.find("heartbeat"), std::string::npos) << reason;
}

TEST_F(VrrpSettledPair, PeerDownWaitsAsLongAsTheMastersAdvertsHaveRecentlyBeenLate) {
  // A busy host: a's adverts do not reach b for 15 ms (b hears one 20-30 ms after the
  // previous one: 10-20 ms later than its interval; master-down, 36.1 ms, does not run out).
  lan.member(a).link_up = false;
  lan.advance(milliseconds(15));
  lan.member(a).link_up = true;
  lan.advance(milliseconds(500));
  ASSERT_EQ(lan.state(b), State::backup);
  lan.member(a).link_up = false;  // now a's host dies
  TimePoint last = lan.member(a).sent.back().when;
  lan.advance(milliseconds(3));
  lan.send(b, 0, ev::PeerDown{});
  lan.advance(milliseconds(40));
  // One interval plus the lateness seen (10-20 ms) when that is more than one interval;
  // never later than the RFC's master-down (36.1 ms).
  TimePoint took = lan.entered(b, 0, State::master);
  EXPECT_GE(took, last + milliseconds(10) + milliseconds(9));
  EXPECT_LE(took, last + milliseconds(30) + nanoseconds(6093750));
}

TEST_F(VrrpSettledPair, AGapAcrossAChangeOfStateIsNotLateness) {
  // a resigns, b is master for a while, then b resigns and a takes over again: b hears a's
  // adverts again after a long gap, which says nothing about how late a's adverts come.
  lan.send(a, 0, ev::Resign{});
  lan.advance(milliseconds(500));
  ASSERT_EQ(lan.state(b), State::master);
  lan.send(a, 0, ev::Unresign{});
  lan.send(b, 0, ev::Resign{});
  lan.advance(milliseconds(500));
  ASSERT_EQ(lan.state(a), State::master);
  lan.send(b, 0, ev::Unresign{});
  lan.advance(milliseconds(200));
  lan.member(a).link_up = false;  // a's host dies
  TimePoint last = lan.member(a).sent.back().when;
  lan.send(b, 0, ev::PeerDown{});
  lan.advance(milliseconds(50));
  // Not the ~500 ms gap as lateness (that would wait the whole master-down, 36.1 ms).
  EXPECT_EQ(lan.entered(b, 0, State::master), last + milliseconds(20));
}

TEST_F(VrrpSettledPair, RecentLatenessFades) {
  // 22 ms without adverts: b hears the next one 22-32 ms after the previous one, 12-22 ms
  // late (master-down, 36.1 ms, does not run out). Unfaded, that would wait 22-32 ms.
  lan.member(a).link_up = false;
  lan.advance(milliseconds(22));
  lan.member(a).link_up = true;
  lan.advance(seconds(180));  // six half-lives: at most 22 ms x 0.5^6 = 0.35 ms < 10 ms
  lan.member(a).link_up = false;
  TimePoint last = lan.member(a).sent.back().when;
  lan.send(b, 0, ev::PeerDown{});
  lan.advance(milliseconds(50));
  EXPECT_EQ(lan.entered(b, 0, State::master), last + milliseconds(20));
}

TEST_F(VrrpSettledPair, CertainPeerDownTakesOverAtOnce) {
  lan.member(a).link_up = false;  // a's daemon dies; its host answers port unreachable
  TimePoint last = lan.member(a).sent.back().when;
  lan.advance(milliseconds(3));
  lan.send(b, 0, ev::PeerDown{.certain = true});
  EXPECT_EQ(lan.entered(b, 0, State::master), lan.now());
  EXPECT_LT(lan.now(), last + milliseconds(20));  // sooner than on silence alone
  auto reason = lan.member(b).changes.back().change.reason;
  EXPECT_NE(reason.find("gone or stopped serving"), std::string::npos) << reason;
}

TEST_F(VrrpSettledPair, CertainPeerDownIsIgnoredByAMasterAndAfterwardsAdvertsRule) {
  lan.send(a, 0, ev::PeerDown{.certain = true});  // a master is not a backup: nothing
  EXPECT_EQ(lan.state(a), State::master);
  // A wrong verdict (say, a firewall rejecting the heartbeat while a lives): b takes over,
  // then a's higher priority adverts put it back to backup within an interval or so.
  lan.send(b, 0, ev::PeerDown{.certain = true});
  EXPECT_EQ(lan.entered(b, 0, State::master), lan.now());
  lan.advance(milliseconds(25));
  EXPECT_EQ(lan.state(a), State::master);
  EXPECT_EQ(lan.state(b), State::backup);
}

TEST_F(VrrpSettledPair, PeerDownLateTakesOverAtOnce) {
  lan.member(a).link_up = false;
  lan.advance(milliseconds(20));
  lan.send(b, 0, ev::PeerDown{});
  EXPECT_EQ(lan.entered(b, 0, State::master), lan.now());
}

TEST_F(VrrpSettledPair, PeerDownNeverOverridesAdvertsStillArriving) {
  // The sync link fails but a is alive and advertising on the data segment.
  for (int i = 0; i < 50; ++i) {
    lan.send(b, 0, ev::PeerDown{});
    lan.advance(milliseconds(7));
  }
  EXPECT_EQ(lan.state(a), State::master);
  EXPECT_EQ(lan.state(b), State::backup);
  EXPECT_EQ(lan.entered(b, 0, State::master), TimePoint::max());
}

TEST(VrrpInstance, IgnoresItsOwnLoopedBackAdvertsAndStaleTimers) {
  Lan lan;
  auto a = lan.add_instance(basic_config("a", 1, 100));
  lan.send(a, 0, ev::Start{});
  lan.advance(seconds(5));
  Advert own;
  own.vrid = 7;
  own.priority = 255;
  own.addresses = {IpAddr::v4(10, 0, 0, 100)};
  lan.send(a, 0, ev::AdvertReceived{own, IpAddr::v4(10, 0, 0, 1)});
  EXPECT_EQ(lan.state(a), State::master);
  auto fx = lan.member(a).effects.size();
  lan.send(a, 0, ev::TimerFired{TimerKind::master_down});  // not armed in master
  EXPECT_EQ(lan.member(a).effects.size(), fx);
}

TEST(VrrpInstance, Ipv6AndV2InstancesRunTheSameMachine) {
  Lan lan;
  Config a6 = basic_config("a6", 1, 200);
  a6.family = Family::ipv6;
  a6.primary = *IpAddr::parse("fe80::1");
  a6.virtual_addresses = {*IpAddr::parse("2001:db8::100")};
  Config b6 = a6;
  b6.name = "b6";
  b6.priority = 100;
  b6.primary = *IpAddr::parse("fe80::2");
  Config a2 = basic_config("a2", 1, 200);
  a2.version = Version::v2;
  Config b2 = basic_config("b2", 2, 100);
  b2.version = Version::v2;
  auto x = lan.add_instance(a6, 6);
  auto y = lan.add_instance(b6, 6);
  auto p = lan.add_instance(a2, 2);
  auto q = lan.add_instance(b2, 2);
  for (auto n : {x, y, p, q}) lan.send(n, 0, ev::Start{});
  lan.advance(seconds(10));
  EXPECT_EQ(lan.state(x), State::master);
  EXPECT_EQ(lan.state(y), State::backup);
  EXPECT_EQ(lan.state(p), State::master);
  EXPECT_EQ(lan.state(q), State::backup);
  EXPECT_GT(lan.member(y).adverts_received, 5u);
  EXPECT_GT(lan.member(q).adverts_received, 5u);
  EXPECT_EQ(lan.member(y).drops.total() + lan.member(q).drops.total(), 0u);
  EXPECT_EQ(lan.member(p).sent.back().advert.version, Version::v2);
}

TEST(VrrpInstance, ConfigErrorsNameTheField) {
  auto fails = [](Config c, std::string_view needle) {
    auto r = Instance::create(std::move(c));
    ASSERT_FALSE(r.ok()) << needle;
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  };
  Config c = basic_config("x", 1, 100);
  Config vrid = c;
  vrid.vrid = 0;
  fails(vrid, "vrid");
  Config prio = c;
  prio.priority = 0;
  fails(prio, "priority");
  Config interval = c;
  interval.adver_interval_cs = 5000;
  fails(interval, "advert interval");
  Config v2 = c;
  v2.version = Version::v2;
  v2.adver_interval_cs = 50;
  fails(v2, "whole seconds");
  Config noaddr = c;
  noaddr.virtual_addresses.clear();
  fails(noaddr, "0 virtual addresses");
  Config six = c;
  six.family = Family::ipv6;
  six.primary = *IpAddr::parse("2001:db8::1");
  six.virtual_addresses = {*IpAddr::parse("2001:db8::100")};
  fails(six, "link-local");
  Config track = c;
  track.tracks = {{"eth0", TrackKind::interface, 10}, {"eth0", TrackKind::interface, 5}};
  fails(track, "tracked twice");
  Config health = c;
  health.tracks = {{"grade", TrackKind::health, 0}};
  fails(health, "weight");
  EXPECT_TRUE(Instance::create(c).ok());
}

}  // namespace
}  // namespace baton::vrrp::test
