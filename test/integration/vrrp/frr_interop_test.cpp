// Interop with FRR vrrpd (VRRPv3, IPv4) on one VRID.
//
// FRR runs as the operator would run it: zebra and vrrpd inside the router's namespace, and a
// macvlan with the virtual MAC (mode bridge) holding the virtual address made beforehand
// (VrrpLab::start_frr). FRR never removes that address: as backup it puts the macvlan in
// protodown, as master it lifts it. So "FRR holds the virtual address" is read as FRR's own
// state (vtysh "show vrrp 51 json") together with the macvlan being up (frr_vmac_up).
#include <signal.h>

#include "vrrp_lab.hpp"

namespace baton::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Skips with "needs <program>" when FRR (zebra, vrrpd, vtysh) is not installed.
#define FRR_LAB_OR_SKIP(var, ...) \
  VRRP_LAB_OR_SKIP(var, kFrrZebra, kFrrVrrpd, kFrrVtysh __VA_OPT__(, ) __VA_ARGS__)

bool frr_serving(const VrrpLab& v, const Daemon& frr, const Router& r) {
  return v.frr_state(frr) == "master" && v.frr_vmac_up(r);
}

int frr_counter(const VrrpLab& v, const Daemon& frr, const char* name) {
  auto st = v.frr_status(frr);
  if (!st.is_object() || !st.contains("stats")) return -1;
  return st["stats"].value(name, -1);
}

int ms(Clock::duration d) {
  return int(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

int baton_counter(const VrrpLab& v, const Daemon& d, const char* name) {
  auto st = v.status(d);
  if (!st.is_object() || !st.contains("counters")) return -1;
  return st["counters"].value(name, -1);
}

// Both ways: FRR alone is master and yields to a higher baton (FRR hears baton's adverts and
// its priority); then FRR's priority is raised above baton's and FRR preempts it back (baton
// hears FRR's adverts and yields).
TEST(VrrpFrrV3, HigherPriorityWinsEitherWay) {
  FRR_LAB_OR_SKIP(v);
  auto frr = v.start_frr(kB, 100);
  ASSERT_TRUE(frr) << frr.error().message;
  ASSERT_TRUE(eventually([&] { return frr_serving(v, *frr, kB); }, 5s)) << v.logs();

  auto baton = v.start_baton(kA, 150);
  ASSERT_TRUE(baton) << baton.error().message;
  ASSERT_TRUE(eventually([&] {
    return v.state(*baton) == "master" && v.frr_state(*frr) == "backup";
  }, 5s)) << v.frr_status(*frr).dump() << v.logs();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(v.state(*baton), "master") << v.logs();
  EXPECT_EQ(v.frr_state(*frr), "backup") << v.logs();
  EXPECT_TRUE(v.holds_vip(kA));
  EXPECT_FALSE(v.frr_vmac_up(kB)) << "FRR backup must keep its macvlan in protodown";
  EXPECT_GT(frr_counter(v, *frr, "adverRx"), 10) << v.frr_status(*frr).dump(2);
  EXPECT_EQ(baton_counter(v, *baton, "drops_total"), 0) << v.status(*baton).dump(2);

  // FRR now higher: it preempts, baton yields and gives the address up.
  ASSERT_TRUE(v.frr_configure(*frr, "priority 200"));
  ASSERT_TRUE(eventually([&] {
    return frr_serving(v, *frr, kB) && v.state(*baton) == "backup" && !v.holds_vip(kA);
  }, 3s)) << v.status(*baton).dump() << v.frr_status(*frr).dump() << v.logs();
  const int rx = baton_counter(v, *baton, "adverts_rx");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(v.state(*baton), "backup") << v.logs();
  EXPECT_TRUE(frr_serving(v, *frr, kB)) << v.logs();
  EXPECT_FALSE(v.holds_vip(kA));
  EXPECT_GT(baton_counter(v, *baton, "adverts_rx"), rx + 10) << v.status(*baton).dump(2);
  EXPECT_EQ(baton_counter(v, *baton, "drops_total"), 0) << v.status(*baton).dump(2);
}

// kill -9 of the master, each way, at 10 ms adverts.
TEST(VrrpFrrV3, TakeoverInBothDirections) {
  FRR_LAB_OR_SKIP(v);
  auto frr = v.start_frr(kB, 100);
  auto baton = v.start_baton(kA, 150);
  ASSERT_TRUE(frr) << frr.error().message;
  ASSERT_TRUE(baton) << baton.error().message;
  ASSERT_TRUE(eventually([&] {
    return v.state(*baton) == "master" && v.frr_state(*frr) == "backup";
  }, 5s)) << v.logs();
  ASSERT_FALSE(v.frr_vmac_up(kB));

  // baton dies: FRR takes over (its master-down at 10 ms is 30 ms).
  ASSERT_TRUE(v.lab().signal(baton->pid, SIGKILL));
  ASSERT_TRUE(eventually([&] { return frr_serving(v, *frr, kB); }, 2s)) << v.logs();

  // baton returns with the lower priority: it hears FRR's adverts and stays backup.
  auto low = v.start_baton(kA, 50);
  ASSERT_TRUE(low) << low.error().message;
  ASSERT_TRUE(eventually([&] { return v.state(*low) == "backup"; }, 3s)) << v.logs();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(v.state(*low), "backup") << v.logs();
  // The killed baton's macvlan kept the address; the new one, as backup, must not.
  EXPECT_FALSE(v.holds_vip(kA)) << v.logs();
  EXPECT_TRUE(frr_serving(v, *frr, kB)) << v.logs();
  EXPECT_GT(baton_counter(v, *low, "adverts_rx"), 10) << v.status(*low).dump(2);
  EXPECT_EQ(baton_counter(v, *low, "drops_total"), 0) << v.status(*low).dump(2);

  // FRR dies (vrrpd and zebra): baton takes over.
  ASSERT_TRUE(v.kill_frr(*frr));
  EXPECT_TRUE(eventually([&] { return v.state(*low) == "master" && v.holds_vip(kA); }, 2s))
      << v.logs();
}

// Equal priorities: the address breaks the tie between two masters (RFC 5798 6.4.3; a backup
// hearing an equal priority stays backup, 6.4.2). As in VrrpBatonPair: the router on a comes
// up alone and is master; the one on b comes up deaf to VRRP and becomes master too; a hears
// b (10.0.0.2 > 10.0.0.1) and must yield; then b's ears open and nothing changes.
void tie_break(bool frr_on_a) {
  FRR_LAB_OR_SKIP(v, "/usr/sbin/nft");
  const Router& frr_router = frr_on_a ? kA : kB;
  const Router& baton_router = frr_on_a ? kB : kA;
  std::optional<Daemon> frr, baton;
  auto is_master = [&](bool which_frr) {
    return which_frr ? frr_serving(v, *frr, frr_router) : v.state(*baton) == "master";
  };
  auto is_backup = [&](bool which_frr) {
    return which_frr ? v.frr_state(*frr) == "backup" && !v.frr_vmac_up(frr_router)
                     : v.state(*baton) == "backup" && !v.holds_vip(baton_router);
  };
  auto start = [&](bool which_frr) -> bool {
    if (which_frr) {
      auto d = v.start_frr(frr_router, 100);
      if (!d) ADD_FAILURE() << d.error().message;
      if (d) frr = *d;
      return bool(d);
    }
    auto d = v.start_baton(baton_router, 100);
    if (!d) ADD_FAILURE() << d.error().message;
    if (d) baton = *d;
    return bool(d);
  };
  const bool a_is_frr = frr_on_a;
  const bool b_is_frr = !frr_on_a;

  ASSERT_TRUE(start(a_is_frr));
  ASSERT_TRUE(eventually([&] { return is_master(a_is_frr); }, 5s)) << v.logs();
  ASSERT_TRUE(v.lab().must("b", "nft add table inet deaf"));
  ASSERT_TRUE(v.lab().must("b", "nft 'add chain inet deaf in { type filter hook input priority -10; }'"));
  ASSERT_TRUE(v.lab().must("b", "nft add rule inet deaf in ip protocol 112 drop"));
  ASSERT_TRUE(start(b_is_frr));
  // b, hearing nothing, becomes master; a hears it as a master itself and yields on the address.
  ASSERT_TRUE(eventually([&] { return is_master(b_is_frr); }, 5s)) << v.logs();
  ASSERT_TRUE(v.lab().must("b", "nft delete table inet deaf"));
  ASSERT_TRUE(eventually([&] { return is_master(b_is_frr) && is_backup(a_is_frr); }, 3s))
      << (frr ? v.frr_status(*frr).dump() : "") << (baton ? v.status(*baton).dump() : "")
      << v.logs();
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(is_master(b_is_frr)) << v.logs();
  EXPECT_TRUE(is_backup(a_is_frr)) << v.logs();
  EXPECT_EQ(baton_counter(v, *baton, "drops_total"), 0) << v.status(*baton).dump(2);
}

// FRR yields to baton's equal-priority advert from the higher address.
TEST(VrrpFrrV3, EqualPrioritiesFrrYieldsToHigherAddress) { tie_break(true); }
// baton yields to FRR's equal-priority advert from the higher address.
TEST(VrrpFrrV3, EqualPrioritiesBatonYieldsToHigherAddress) { tie_break(false); }

// Priority 0 hands over after the skew time, not master-down. At 500 ms adverts and priority
// 100 both count the same: skew 0.3 s (FRR: 30 cs), master-down 1.8 s; the takeover must come
// well before master-down (1 s allows for polling on a loaded machine; a takeover on
// master-down instead comes 1.3 to 1.8 s after the priority 0). Then the new master
// holds for longer than the old one's master-down: the backup keeps hearing it.
constexpr auto kAtOnce = 1000ms;
constexpr auto kHold = 2500ms;  // > master-down of either side at 500 ms

// baton (150, master) resigns (SIGUSR1: planned switchover, priority 0); FRR (100) takes over
// at once and baton ends as backup without the address.
TEST(VrrpFrrV3, PriorityZeroFromBatonHandsOverAtOnce) {
  FRR_LAB_OR_SKIP(v);
  auto baton = v.start_baton(kA, 150, {"--advert-interval", "500ms"});
  auto frr = v.start_frr(kB, 100, 500);
  ASSERT_TRUE(frr) << frr.error().message;
  ASSERT_TRUE(baton) << baton.error().message;
  ASSERT_TRUE(eventually([&] {
    return v.state(*baton) == "master" && v.frr_state(*frr) == "backup" &&
           frr_counter(v, *frr, "adverRx") >= 1;
  }, 8s)) << v.frr_status(*frr).dump() << v.logs();
  ASSERT_FALSE(v.frr_vmac_up(kB));

  const auto t0 = Clock::now();
  ASSERT_TRUE(v.lab().signal(baton->pid, SIGUSR1));
  ASSERT_TRUE(eventually([&] { return frr_serving(v, *frr, kB); }, 3s)) << v.logs();
  const auto took = Clock::now() - t0;
  RecordProperty("takeover_ms", ms(took));
  EXPECT_LT(took, kAtOnce) << "FRR took over "
                           << ms(took)
                           << " ms after baton's priority 0 (master-down 1.8 s, skew 0.3 s)";
  EXPECT_TRUE(eventually([&] { return v.state(*baton) == "backup" && !v.holds_vip(kA); }, 1s))
      << v.status(*baton).dump() << v.logs();
  const int rx = baton_counter(v, *baton, "adverts_rx");
  std::this_thread::sleep_for(kHold);
  EXPECT_EQ(v.state(*baton), "backup") << v.status(*baton).dump() << v.logs();
  EXPECT_FALSE(v.holds_vip(kA));
  EXPECT_TRUE(frr_serving(v, *frr, kB)) << v.logs();
  EXPECT_GE(baton_counter(v, *baton, "adverts_rx"), rx + 3) << v.status(*baton).dump(2);
}

// The other way: FRR (150, master) is shut down administratively ("vrrp 51 shutdown"), which
// sends priority 0; baton (100) takes over at once.
TEST(VrrpFrrV3, PriorityZeroFromFrrHandsOverAtOnce) {
  FRR_LAB_OR_SKIP(v);
  auto frr = v.start_frr(kB, 150, 500);
  auto baton = v.start_baton(kA, 100, {"--advert-interval", "500ms"});
  ASSERT_TRUE(frr) << frr.error().message;
  ASSERT_TRUE(baton) << baton.error().message;
  ASSERT_TRUE(eventually([&] {
    return frr_serving(v, *frr, kB) && v.state(*baton) == "backup" &&
           baton_counter(v, *baton, "adverts_rx") >= 1;
  }, 8s)) << v.status(*baton).dump() << v.logs();
  ASSERT_FALSE(v.holds_vip(kA));

  const auto t0 = Clock::now();
  ASSERT_TRUE(v.frr_configure(*frr, "shutdown"));
  ASSERT_TRUE(eventually([&] { return v.state(*baton) == "master" && v.holds_vip(kA); }, 3s))
      << v.logs();
  const auto took = Clock::now() - t0;
  RecordProperty("takeover_ms", ms(took));
  EXPECT_LT(took, kAtOnce) << "baton took over "
                           << ms(took)
                           << " ms after FRR's priority 0 (master-down 1.8 s, skew 0.3 s)";
  EXPECT_FALSE(v.frr_vmac_up(kB)) << "FRR shut down must put its macvlan in protodown";
  EXPECT_EQ(baton_counter(v, *baton, "drops_total"), 0) << v.status(*baton).dump(2);
}

}  // namespace
}  // namespace baton::testing
