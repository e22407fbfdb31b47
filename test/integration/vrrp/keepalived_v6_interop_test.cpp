// Interop with keepalived on one IPv6 VRID: VRRPv3, 10 ms adverts, fd00::100 on VRID 51, both
// on their virtual MAC (00:00:5e:00:02:33). baton on a, keepalived on b.
#include <signal.h>

#include "vrrp_lab.hpp"

namespace baton::testing {
namespace {

using namespace std::chrono_literals;
constexpr const char* kKeepalived = "/usr/sbin/keepalived";

std::string addrs(VrrpLab& v, const char* ns) { return v.lab().run(ns, "ip -6 addr").output; }

TEST(VrrpKeepalivedV3Ipv6, HigherPriorityWinsEitherWayAndTakeoverBothDirections) {
  VRRP_LAB6_OR_SKIP(v, kKeepalived);
  // baton higher: baton is master, keepalived stays backup (holds no address).
  auto ka = v.start_keepalived6(kB, 100, 0.01, true);
  auto baton = v.start_baton6(kA, 150);
  ASSERT_TRUE(ka && baton);
  ASSERT_TRUE(eventually([&] { return v.state(*baton) == "master"; }, 5s)) << v.logs();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(v.state(*baton), "master") << "keepalived (100) took over from baton (150)\n"
                                       << v.logs();
  EXPECT_TRUE(v.holds_vip6(kA)) << addrs(v, "a");
  EXPECT_FALSE(v.holds_vip6(kB)) << "keepalived as backup holds " << kVip6 << "\n"
                                 << addrs(v, "b") << v.logs();
  EXPECT_GT(v.status(*baton)["counters"]["adverts_tx"].get<int>(), 10);
  // baton dies: keepalived takes over.
  ASSERT_TRUE(v.lab().signal(baton->pid, SIGKILL));
  ASSERT_TRUE(eventually([&] { return v.holds_vip6(kB); }, 2s))
      << "keepalived did not take over within 2 s of kill -9 of baton\n" << v.logs();
  // baton returns with the lower priority: it hears keepalived's adverts and stays backup (and
  // removes the address the killed one left on the macvlan).
  auto low = v.start_baton6(kA, 50);
  ASSERT_TRUE(low);
  ASSERT_TRUE(eventually([&] { return v.state(*low) == "backup"; }, 3s)) << v.logs();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(v.state(*low), "backup") << v.logs();
  EXPECT_FALSE(v.holds_vip6(kA)) << addrs(v, "a");
  EXPECT_TRUE(v.holds_vip6(kB)) << addrs(v, "b") << v.logs();
  EXPECT_GT(v.status(*low)["counters"]["adverts_rx"].get<int>(), 10)
      << "baton hears too few of keepalived's adverts\n" << v.status(*low).dump(2);
  EXPECT_EQ(v.status(*low)["counters"]["drops_total"].get<int>(), 0) << v.status(*low).dump(2);
  // keepalived dies (parent and VRRP child, so no priority 0): baton takes over on the
  // silence, and says so.
  ASSERT_TRUE(v.kill_keepalived(*ka));
  EXPECT_TRUE(eventually([&] { return v.state(*low) == "master" && v.holds_vip6(kA); }, 2s))
      << "baton did not take over within 2 s of kill -9 of keepalived\n" << v.logs();
  EXPECT_NE(read_text(low->log).find("master-down timer expired"), std::string::npos)
      << "baton should have taken over on master-down, not on a priority 0\n" << v.logs();
}

TEST(VrrpKeepalivedV3Ipv6, HigherPriorityKeepalivedPreemptsBaton) {
  VRRP_LAB6_OR_SKIP(v, kKeepalived);
  auto baton = v.start_baton6(kA, 100);
  ASSERT_TRUE(baton);
  ASSERT_TRUE(eventually([&] { return v.state(*baton) == "master" && v.holds_vip6(kA); }, 5s))
      << v.logs();
  auto ka = v.start_keepalived6(kB, 200, 0.01, true);
  ASSERT_TRUE(ka);
  ASSERT_TRUE(eventually([&] { return v.holds_vip6(kB); }, 5s))
      << "keepalived (200) did not preempt baton (100)\n" << v.logs();
  EXPECT_TRUE(eventually([&] { return v.state(*baton) == "backup" && !v.holds_vip6(kA); }, 1s))
      << "baton is '" << v.state(*baton) << "'\n" << addrs(v, "a") << v.logs();
  // And it stays that way: baton keeps hearing keepalived, nothing flaps.
  std::this_thread::sleep_for(300ms);
  const auto c = v.status(*baton)["counters"];
  EXPECT_EQ(v.state(*baton), "backup") << v.logs();
  EXPECT_TRUE(v.holds_vip6(kB)) << addrs(v, "b");
  EXPECT_GT(c["adverts_rx"].get<int>(), 10) << c.dump(2);
  EXPECT_EQ(c["drops_total"].get<int>(), 0) << c.dump(2);
}

}  // namespace
}  // namespace baton::testing
