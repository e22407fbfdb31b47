// Interop with keepalived on one VRID: VRRPv3 at 10 ms and VRRPv2 (keepalived's default, 1 s).
#include <signal.h>

#include "vrrp_lab.hpp"

namespace baton::testing {
namespace {

using namespace std::chrono_literals;
constexpr const char* kKeepalived = "/usr/sbin/keepalived";

// baton on a, keepalived on b.
struct Pair {
  Daemon baton;
  Daemon ka;
};

TEST(VrrpKeepalivedV3, HigherPriorityWinsEitherWayAndTakeoverBothDirections) {
  VRRP_LAB_OR_SKIP(v, kKeepalived);
  // baton higher: baton is master, keepalived stays backup (holds no VIP).
  auto ka = v.start_keepalived(kB, 100, 3, 0.01, true);
  auto baton = v.start_baton(kA, 150);
  ASSERT_TRUE(ka && baton);
  ASSERT_TRUE(eventually([&] { return v.state(*baton) == "master"; }, 5s)) << v.logs();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(v.state(*baton), "master") << v.logs();
  EXPECT_FALSE(v.holds_vip(kB)) << v.logs();
  EXPECT_GT(v.status(*baton)["counters"]["adverts_tx"].get<int>(), 10);
  // baton dies: keepalived takes over.
  ASSERT_TRUE(v.lab().signal(baton->pid, SIGKILL));
  ASSERT_TRUE(eventually([&] { return v.holds_vip(kB); }, 2s)) << v.logs();
  // baton returns with the lower priority: it hears keepalived's adverts and stays backup.
  auto low = v.start_baton(kA, 50);
  ASSERT_TRUE(low);
  ASSERT_TRUE(eventually([&] { return v.state(*low) == "backup"; }, 3s)) << v.logs();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(v.state(*low), "backup") << v.logs();
  EXPECT_GT(v.status(*low)["counters"]["adverts_rx"].get<int>(), 10) << v.status(*low).dump(2);
  EXPECT_EQ(v.status(*low)["counters"]["drops_total"].get<int>(), 0) << v.status(*low).dump(2);
  // keepalived dies (its VRRP child killed, no priority 0 sent): baton takes over when the
  // adverts stop, after master-down.
  ASSERT_TRUE(v.kill_keepalived(*ka)) << v.logs();
  EXPECT_TRUE(eventually([&] { return v.state(*low) == "master" && v.holds_vip(kA); }, 2s))
      << v.logs();
  EXPECT_TRUE(v.log_contains(*low, "backup -> master: master-down timer expired")) << v.logs();
}

TEST(VrrpKeepalivedV3, EqualPrioritiesTieBreakOnAddress) {
  VRRP_LAB_OR_SKIP(v, kKeepalived);
  // baton on b (10.0.0.2, the higher address), keepalived on a: baton wins the tie.
  auto ka = v.start_keepalived(kA, 100, 3, 0.01, true);
  auto baton = v.start_baton(kB, 100);
  ASSERT_TRUE(ka && baton);
  ASSERT_TRUE(eventually([&] { return v.state(*baton) == "master"; }, 5s)) << v.logs();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(v.state(*baton), "master") << v.logs();
  EXPECT_FALSE(v.holds_vip(kA)) << v.logs();
}

// baton (priority 150, master) resigns with priority 0; keepalived (100) must take over at
// once and baton must end as backup without the addresses. Both at 50 ms adverts: on a busy
// host keepalived, though realtime, can fall silent for 30-40 ms while it takes the master
// role (addresses, gratuitous ARPs, nftables for use_vmac), and baton, the higher priority,
// would then rightly take over again after a 10 ms master-down (34 ms).
void priority_zero_hands_over(bool keepalived_vmac) {
  VRRP_LAB_OR_SKIP(v, kKeepalived);
  auto baton = v.start_baton(kA, 150, {"--advert-interval", "50ms"});
  auto ka = v.start_keepalived(kB, 100, 3, 0.05, keepalived_vmac);
  ASSERT_TRUE(ka && baton);
  ASSERT_TRUE(eventually([&] { return v.state(*baton) == "master"; }, 5s)) << v.logs();
  std::this_thread::sleep_for(200ms);
  ASSERT_FALSE(v.holds_vip(kB)) << v.logs();
  ASSERT_TRUE(v.lab().signal(baton->pid, SIGUSR1));  // planned switchover: priority 0
  EXPECT_TRUE(eventually([&] { return v.holds_vip(kB); }, 1s)) << v.logs();
  EXPECT_TRUE(eventually([&] { return v.state(*baton) == "backup" && !v.holds_vip(kA); }, 1s))
      << v.status(*baton).dump() << v.logs();
  // And keepalived's adverts keep reaching baton (the bug this guards against: baton heard
  // only the first one after its priority 0, then nothing). keepalived sends ~12 in 600 ms.
  std::this_thread::sleep_for(600ms);
  auto st = v.status(*baton);
  EXPECT_GE(st["counters"]["adverts_rx"].get<int>(), 8) << st.dump(2) << v.logs();
  // baton stays backup unless keepalived fell silent for a whole master-down interval (a
  // stall of keepalived's host; then taking over is what RFC 5798 asks of a backup).
  if (st["state"] == "master") {
    const std::string text = read_text(baton->log);
    const auto resigned = text.find("planned resignation");
    EXPECT_NE(text.find("backup -> master: master-down timer expired, no advert since", resigned),
              std::string::npos)
        << "baton took the addresses back while keepalived was advertising\n" << v.logs();
  } else {
    EXPECT_EQ(st["state"], "backup") << st.dump(2);
    EXPECT_FALSE(v.holds_vip(kA)) << v.logs();
  }
}

// keepalived without use_vmac: its adverts come from its interface's own MAC.
TEST(VrrpKeepalivedV3, PriorityZeroHandsOverAtOnce) { priority_zero_hands_over(false); }

// keepalived on use_vmac: its adverts come from the virtual MAC baton's own macvlan has.
TEST(VrrpKeepalivedV3, PriorityZeroHandsOverAtOnceWithVmac) {
  priority_zero_hands_over(true);
}

TEST(VrrpKeepalivedV2, InteroperatesAtKeepalivedsDefaultVersion) {
  VRRP_LAB_OR_SKIP(v, kKeepalived);
  auto ka = v.start_keepalived(kB, 200, 2, 1, true);
  auto baton = v.start_baton(kA, 100, {"--version", "2", "--advert-interval", "1s"});
  ASSERT_TRUE(ka && baton);
  // keepalived (higher) becomes master after its master-down (~3.2 s); baton stays backup.
  ASSERT_TRUE(eventually([&] { return v.holds_vip(kB); }, 6s)) << v.logs();
  ASSERT_TRUE(eventually([&] {
    auto st = v.status(*baton);
    return st.is_object() && st["counters"]["adverts_rx"].get<int>() >= 2;
  }, 4s)) << v.logs();
  EXPECT_EQ(v.state(*baton), "backup");
  EXPECT_EQ(v.status(*baton)["counters"]["drops_total"].get<int>(), 0) << v.status(*baton).dump(2);
  ASSERT_TRUE(v.kill_keepalived(*ka)) << v.logs();
  EXPECT_TRUE(eventually([&] { return v.state(*baton) == "master" && v.holds_vip(kA); }, 6s))
      << v.logs();
  EXPECT_TRUE(v.log_contains(*baton, "backup -> master: master-down timer expired")) << v.logs();
}

}  // namespace
}  // namespace baton::testing
