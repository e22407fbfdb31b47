// Two baton-vrrpd instances on one segment (privileged: builds network namespaces).
#include <signal.h>

#include "vrrp_lab.hpp"

namespace baton::testing {
namespace {

using namespace std::chrono_literals;

void send_udp_from_client(VrrpLab& v) {
  auto r = v.lab().run("c", std::string("/usr/bin/python3 -c \"import socket;socket.socket(socket.AF_INET,"
                                     "socket.SOCK_DGRAM).sendto(b'x',('") + kVip + "',9))\"");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(VrrpBatonPair, ElectsOneMaster) {
  VRRP_LAB_OR_SKIP(v);
  auto a = v.start_baton(kA, 150);
  auto b = v.start_baton(kB, 100);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(eventually([&] { return v.state(*a) == "master" && v.state(*b) == "backup"; }, 5s))
      << v.logs();
  EXPECT_TRUE(v.holds_vip(kA));
  EXPECT_FALSE(v.holds_vip(kB));
  // It stays that way: adverts flow, nobody flaps. (Started together, both may have been
  // master for an instant before the first adverts crossed; count from here.)
  std::this_thread::sleep_for(100ms);
  int transitions_a = v.status(*a)["counters"]["transitions"].get<int>();
  int transitions_b = v.status(*b)["counters"]["transitions"].get<int>();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(v.state(*a), "master");
  EXPECT_EQ(v.state(*b), "backup");
  EXPECT_GT(v.status(*b)["counters"]["adverts_rx"].get<int>(), 10);
  EXPECT_EQ(v.status(*a)["counters"]["transitions"].get<int>(), transitions_a) << v.logs();
  EXPECT_EQ(v.status(*b)["counters"]["transitions"].get<int>(), transitions_b) << v.logs();
}

TEST(VrrpBatonPair, EqualPrioritiesTieBreakOnAddress) {
  VRRP_LAB_OR_SKIP(v);
  // The address breaks a tie only between two masters (RFC 5798 6.4.3): a backup that hears
  // an equal priority stays backup (6.4.2). So make both masters first, deterministically:
  // a comes up alone, b comes up deaf to VRRP, then b's ears open.
  auto a = v.start_baton(kA, 100);
  ASSERT_TRUE(a);
  ASSERT_TRUE(eventually([&] { return v.state(*a) == "master"; }, 5s)) << v.logs();
  ASSERT_TRUE(v.lab().must("b", "nft add table inet deaf"));
  ASSERT_TRUE(v.lab().must("b", "nft 'add chain inet deaf in { type filter hook input priority -10; }'"));
  ASSERT_TRUE(v.lab().must("b", "nft add rule inet deaf in ip protocol 112 drop"));
  auto b = v.start_baton(kB, 100);
  ASSERT_TRUE(b);
  // b, hearing nothing, becomes master; a hears b's first advert as a master itself.
  ASSERT_TRUE(eventually([&] { return v.state(*b) == "master"; }, 5s)) << v.logs();
  ASSERT_TRUE(v.lab().must("b", "nft delete table inet deaf"));
  // 10.0.0.2 > 10.0.0.1: b wins, a yields, and it stays that way with both hearing each other.
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(eventually([&] { return v.state(*b) == "master" && v.state(*a) == "backup"; }, 5s))
      << v.logs();
  EXPECT_TRUE(v.holds_vip(kB));
  EXPECT_FALSE(v.holds_vip(kA));
}

TEST(VrrpBatonPair, EqualPriorityBackupDoesNotPreemptARunningMaster) {
  VRRP_LAB_OR_SKIP(v);
  auto a = v.start_baton(kA, 100);
  ASSERT_TRUE(a);
  ASSERT_TRUE(eventually([&] { return v.state(*a) == "master"; }, 5s)) << v.logs();
  auto b = v.start_baton(kB, 100);
  ASSERT_TRUE(b);
  ASSERT_TRUE(eventually([&] { return v.state(*b) == "backup"; }, 5s)) << v.logs();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(v.state(*a), "master") << v.logs();
  EXPECT_EQ(v.state(*b), "backup") << v.logs();
}

TEST(VrrpBatonPair, KillMinusNineOfMasterHandsOver) {
  VRRP_LAB_OR_SKIP(v);
  auto a = v.start_baton(kA, 150, {"--heartbeat-local", "10.9.0.1:7405", "--heartbeat-peer",
                                   "10.9.0.2:7405"});
  auto b = v.start_baton(kB, 100, {"--heartbeat-local", "10.9.0.2:7405", "--heartbeat-peer",
                                   "10.9.0.1:7405"});
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(eventually([&] { return v.state(*a) == "master" && v.state(*b) == "backup"; }, 5s))
      << v.logs();
  ASSERT_TRUE(v.lab().signal(a->pid, SIGKILL));
  ASSERT_TRUE(eventually([&] { return v.state(*b) == "master"; }, 2s)) << v.logs();
  EXPECT_TRUE(v.holds_vip(kB));
  // a's kernel answered b's heartbeats with port unreachable: b knew a's daemon was gone and
  // did not wait for a's next advert to be overdue.
  auto st = v.status(*b);
  EXPECT_EQ(st["heartbeat"]["peer_gone"].get<int>(), 1) << st.dump(2) << v.logs();
  EXPECT_GE(st["heartbeat"]["refused"].get<int>(), 1) << st.dump(2);
  EXPECT_TRUE(v.log_contains(*b, "backup -> master: the peer is gone or stopped serving"))
      << v.logs();
}

TEST(VrrpBatonPair, LinkDownOfMasterHandsOver) {
  VRRP_LAB_OR_SKIP(v);
  auto a = v.start_baton(kA, 150, {"--heartbeat-local", "10.9.0.1:7405", "--heartbeat-peer",
                                   "10.9.0.2:7405"});
  auto b = v.start_baton(kB, 100, {"--heartbeat-local", "10.9.0.2:7405", "--heartbeat-peer",
                                   "10.9.0.1:7405"});
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(eventually([&] { return v.state(*a) == "master" && v.state(*b) == "backup"; }, 5s))
      << v.logs();
  ASSERT_TRUE(v.lab().must("a", "ip link set eth0 down"));
  ASSERT_TRUE(eventually([&] { return v.state(*b) == "master"; }, 2s)) << v.logs();
  EXPECT_TRUE(eventually([&] { return v.state(*a) == "fault"; }, 1s)) << v.logs();
  EXPECT_FALSE(v.holds_vip(kA));
  // a said so on the sync link (not serving): b took over at once, not on silence.
  EXPECT_TRUE(v.log_contains(*b, "backup -> master: the peer is gone or stopped serving"))
      << v.logs();
  // The link comes back: a preempts (higher priority) once it hears b again.
  ASSERT_TRUE(v.lab().must("a", "ip link set eth0 up"));
  EXPECT_TRUE(eventually([&] { return v.state(*a) == "master" && v.state(*b) == "backup"; }, 5s))
      << v.logs();
}

TEST(VrrpBatonPair, PlannedSwitchoverWithPriorityZero) {
  VRRP_LAB_OR_SKIP(v);
  auto a = v.start_baton(kA, 150);
  auto b = v.start_baton(kB, 100);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(eventually([&] { return v.state(*a) == "master" && v.state(*b) == "backup"; }, 5s))
      << v.logs();
  ASSERT_TRUE(v.lab().signal(a->pid, SIGUSR1));
  // b takes over after its skew time, well before a master-down interval would run out.
  ASSERT_TRUE(eventually([&] { return v.state(*b) == "master"; }, 1s)) << v.logs();
  EXPECT_TRUE(eventually([&] { return v.state(*a) == "backup" && !v.holds_vip(kA); }, 1s))
      << v.logs();
  // SIGTERM of the new master: resign and exit; a takes over again.
  ASSERT_TRUE(v.lab().signal(b->pid, SIGTERM));
  EXPECT_TRUE(v.lab().wait_exit(b->pid, 2000).has_value()) << v.logs();
  EXPECT_TRUE(eventually([&] { return v.state(*a) == "master"; }, 2s)) << v.logs();
}

TEST(VrrpBatonPair, ObserverSeesTheVirtualMacMove) {
  VRRP_LAB_OR_SKIP(v, "/usr/sbin/bridge", "/usr/bin/python3");
  auto a = v.start_baton(kA, 150);
  auto b = v.start_baton(kB, 100);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(eventually([&] { return v.state(*a) == "master" && v.state(*b) == "backup"; }, 5s))
      << v.logs();
  auto fdb_port = [&] {
    auto r = v.lab().run("sw", std::string("bridge fdb show br br0 | grep '^") + kVmac + " '");
    return r.output;
  };
  // The client resolves the VIP (a UDP datagram makes it ARP): the answer is the virtual MAC,
  // and the bridge has that MAC on a's port.
  // Resend while waiting: on a busy machine the first ARP exchange may not complete in time.
  std::string neigh;
  eventually([&] {
    send_udp_from_client(v);
    neigh = v.lab().run("c", std::string("ip neigh show ") + kVip).output;
    return neigh.find(kVmac) != std::string::npos;
  }, 3s);
  EXPECT_NE(neigh.find(kVmac), std::string::npos) << neigh;
  EXPECT_NE(fdb_port().find("dev pa"), std::string::npos) << fdb_port();
  ASSERT_TRUE(v.lab().signal(a->pid, SIGKILL));
  ASSERT_TRUE(eventually([&] { return v.state(*b) == "master"; }, 2s)) << v.logs();
  // The gratuitous ARP from the virtual MAC moves the bridge's entry to b's port...
  EXPECT_TRUE(eventually([&] { return fdb_port().find("dev pb") != std::string::npos; }, 1s))
      << fdb_port();
  // ...and the client's neighbour entry still says the virtual MAC.
  EXPECT_NE(v.lab().run("c", std::string("ip neigh show ") + kVip).output.find(kVmac),
            std::string::npos);
}

TEST(VrrpBatonPair, WithoutVmacTheNeighbourEntryFollowsTheGratuitousArp) {
  VRRP_LAB_OR_SKIP(v);
  auto a = v.start_baton(kA, 150, {"--no-vmac"});
  auto b = v.start_baton(kB, 100, {"--no-vmac"});
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(eventually([&] { return v.state(*a) == "master" && v.state(*b) == "backup"; }, 5s))
      << v.logs();
  auto mac_of = [&](const char* ns) {
    return v.lab().run(ns, "cat /sys/class/net/eth0/address").output.substr(0, 17);
  };
  std::string mac_a = mac_of("a"), mac_b = mac_of("b");
  // Give the client an entry for the VIP (Linux updates, but does not create, entries on ARP).
  ASSERT_TRUE(v.lab().must("c", std::string("ip neigh replace ") + kVip + " lladdr " + mac_a +
                                    " dev eth0 nud stale"));
  // An entry updated less than locktime (1 s) ago ignores ARP overrides.
  std::this_thread::sleep_for(1100ms);
  ASSERT_TRUE(v.lab().signal(a->pid, SIGKILL));
  ASSERT_TRUE(eventually([&] { return v.state(*b) == "master"; }, 2s)) << v.logs();
  EXPECT_TRUE(eventually([&] {
    return v.lab().run("c", std::string("ip neigh show ") + kVip).output.find(mac_b) !=
           std::string::npos;
  }, 1s)) << v.lab().run("c", "ip neigh").output;
}

}  // namespace
}  // namespace baton::testing
