// Two baton-vrrpd instances on one segment, IPv6 (privileged: builds network namespaces).
//
// The IPv6 twin of baton_pair_test.cpp: VRID 51, virtual address fd00::100/64 on macvlan
// vrrp6.51 with the virtual MAC 00:00:5e:00:02:33, adverts to ff02::12 from the link-local
// address of eth0 (RFC 5798 5.1.2.1), unsolicited neighbour advertisements after a takeover.
// The heartbeat, where a test uses it, runs on the IPv4 sync link (it does not care which
// family the instance is).
#include <signal.h>

#include "vrrp_lab.hpp"

namespace baton::testing {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kHeartbeatA = {"--heartbeat-local", "10.9.0.1:7405",
                                              "--heartbeat-peer", "10.9.0.2:7405"};
const std::vector<std::string> kHeartbeatB = {"--heartbeat-local", "10.9.0.2:7405",
                                              "--heartbeat-peer", "10.9.0.1:7405"};

bool is_link_local(const std::string& addr) { return addr.rfind("fe80:", 0) == 0; }

std::string text(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// A datagram from the client c to the IPv6 virtual address (makes c resolve it by ND).
void send_udp_from_client(VrrpLab& v) {
  auto r = v.lab().run("c", std::string("/usr/bin/python3 -c \"import socket;"
                                        "socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)"
                                        ".sendto(b'x',('") + kVip6 + "',9))\"");
  EXPECT_EQ(r.exit_code, 0) << "sending a UDP datagram from c to " << kVip6 << ": " << r.output;
}

// c's neighbour entry for the virtual address ("" if it has none).
std::string client_neighbour(VrrpLab& v) {
  return v.lab().run("c", std::string("ip -6 neigh show ") + kVip6 + " dev eth0").output;
}

// The bridge's fdb entry for the IPv6 virtual MAC ("... dev pa ..." / "... dev pb ...").
std::string fdb_entry(VrrpLab& v) {
  return v.lab().run("sw", std::string("bridge fdb show br br0 | grep '^") + kVmac6 + " '").output;
}

// The packet counts of every "counter packets N bytes M" in nft's output, in order.
std::vector<long> counter_packets(const std::string& nft) {
  std::vector<long> out;
  for (auto at = nft.find("packets "); at != std::string::npos; at = nft.find("packets ", at + 1))
    out.push_back(std::stol(nft.substr(at + 8)));
  return out;
}

// a at 150, b at 100; returns once a is master and b backup.
struct Pair {
  Daemon a;
  Daemon b;
};
std::optional<Pair> start_pair(VrrpLab& v, std::vector<std::string> extra_a = {},
                               std::vector<std::string> extra_b = {}) {
  auto a = v.start_baton6(kA, 150, std::move(extra_a));
  auto b = v.start_baton6(kB, 100, std::move(extra_b));
  if (!a || !b) {
    ADD_FAILURE() << "cannot start baton-vrrpd: " << (a ? b.error().message : a.error().message);
    return std::nullopt;
  }
  if (!eventually([&] { return v.state(*a) == "master" && v.state(*b) == "backup"; }, 5s)) {
    ADD_FAILURE() << "no election within 5 s: a (priority 150) is '" << v.state(*a)
                  << "', b (priority 100) is '" << v.state(*b)
                  << "', expected master and backup\n"
                  << v.logs();
    return std::nullopt;
  }
  return Pair{*a, *b};
}

TEST(VrrpBatonPairV6, ElectsOneMaster) {
  VRRP_LAB6_OR_SKIP(v);
  auto p = start_pair(v);
  ASSERT_TRUE(p);
  EXPECT_TRUE(v.holds_vip6(kA)) << "the master a does not hold " << kVip6 << "\n"
                                << v.lab().run("a", "ip -6 addr").output;
  EXPECT_FALSE(v.holds_vip6(kB)) << "the backup b holds " << kVip6 << "\n"
                                 << v.lab().run("b", "ip -6 addr").output;
  // The address is on the macvlan, which carries the IPv6 virtual MAC.
  auto on_vmac = v.lab().run("a", "ip -6 -o addr show dev vrrp6.51; ip link show dev vrrp6.51");
  EXPECT_NE(on_vmac.output.find(std::string(kVip6) + "/64"), std::string::npos) << on_vmac.output;
  EXPECT_NE(on_vmac.output.find(kVmac6), std::string::npos) << on_vmac.output;

  // Adverts come from the link-local address of eth0: each side's primary, and what the backup
  // records as the master it hears.
  const std::string ll_a = v.link_local(kA);
  ASSERT_TRUE(is_link_local(ll_a)) << "a has no link-local address on eth0: '" << ll_a << "'";
  EXPECT_EQ(text(v.status(p->a), "primary"), ll_a) << v.status(p->a).dump(2);
  EXPECT_EQ(text(v.status(p->b), "primary"), v.link_local(kB)) << v.status(p->b).dump(2);
  EXPECT_TRUE(eventually([&] { return text(v.status(p->b), "master") == ll_a; }, 1s))
      << "b should name a's link-local " << ll_a << " as the master it hears\n"
      << v.status(p->b).dump(2);

  // It stays that way: adverts flow, nobody flaps, nothing is dropped. (Started together, both
  // may have been master for an instant before the first adverts crossed; count from here.)
  std::this_thread::sleep_for(100ms);
  const auto before_a = v.status(p->a)["counters"];
  const auto before_b = v.status(p->b)["counters"];
  std::this_thread::sleep_for(300ms);
  const auto after_a = v.status(p->a)["counters"];
  const auto after_b = v.status(p->b)["counters"];
  EXPECT_EQ(v.state(p->a), "master") << v.logs();
  EXPECT_EQ(v.state(p->b), "backup") << v.logs();
  EXPECT_GT(after_b["adverts_rx"].get<int>() - before_b["adverts_rx"].get<int>(), 10)
      << "b heard too few of a's adverts in 300 ms (10 ms interval)\n" << after_b.dump(2);
  EXPECT_EQ(after_a["transitions"], before_a["transitions"]) << v.logs();
  EXPECT_EQ(after_b["transitions"], before_b["transitions"]) << v.logs();
  EXPECT_EQ(after_b["drops_total"].get<int>(), 0) << "b dropped adverts\n" << after_b.dump(2);
  EXPECT_EQ(after_a["send_errors"].get<int>(), 0) << after_a.dump(2);
}

TEST(VrrpBatonPairV6, KillMinusNineOfMasterHandsOver) {
  VRRP_LAB6_OR_SKIP(v);
  auto p = start_pair(v, kHeartbeatA, kHeartbeatB);
  ASSERT_TRUE(p);
  ASSERT_TRUE(v.lab().signal(p->a.pid, SIGKILL));
  ASSERT_TRUE(eventually([&] { return v.state(p->b) == "master"; }, 2s))
      << "b did not take over within 2 s of kill -9 of the master a: '" << v.state(p->b) << "'\n"
      << v.logs();
  EXPECT_TRUE(v.holds_vip6(kB)) << "the new master b does not hold " << kVip6 << "\n"
                                << v.lab().run("b", "ip -6 addr").output;
}

TEST(VrrpBatonPairV6, LinkDownOfMasterHandsOver) {
  VRRP_LAB6_OR_SKIP(v);
  auto p = start_pair(v, kHeartbeatA, kHeartbeatB);
  ASSERT_TRUE(p);
  ASSERT_TRUE(v.lab().must("a", "ip link set eth0 down"));
  ASSERT_TRUE(eventually([&] { return v.state(p->b) == "master"; }, 2s))
      << "b did not take over within 2 s of a's eth0 going down: '" << v.state(p->b) << "'\n"
      << v.logs();
  EXPECT_TRUE(eventually([&] { return v.state(p->a) == "fault"; }, 1s))
      << "a with eth0 down is '" << v.state(p->a) << "', expected fault\n" << v.logs();
  EXPECT_TRUE(eventually([&] { return !v.holds_vip6(kA); }, 1s))
      << "a in fault still holds " << kVip6 << "\n" << v.lab().run("a", "ip -6 addr").output;
  EXPECT_TRUE(v.holds_vip6(kB)) << v.lab().run("b", "ip -6 addr").output;
  // The link comes back (its link-local with it): a preempts (higher priority) once it hears b.
  ASSERT_TRUE(v.lab().must("a", "ip link set eth0 up"));
  EXPECT_TRUE(eventually([&] { return v.state(p->a) == "master" && v.state(p->b) == "backup"; },
                         5s))
      << "after eth0 came back up: a is '" << v.state(p->a) << "', b is '" << v.state(p->b)
      << "', expected a to preempt\n" << v.logs();
  EXPECT_TRUE(eventually([&] { return v.holds_vip6(kA) && !v.holds_vip6(kB); }, 1s))
      << "a holds: " << v.holds_vip6(kA) << ", b holds: " << v.holds_vip6(kB);
  EXPECT_EQ(text(v.status(p->a), "primary"), v.link_local(kA))
      << "a's advert source after the link returned\n" << v.status(p->a).dump(2);
}

TEST(VrrpBatonPairV6, PlannedSwitchoverWithPriorityZero) {
  VRRP_LAB6_OR_SKIP(v);
  auto p = start_pair(v);
  ASSERT_TRUE(p);
  // SIGUSR1: a resigns (priority 0) and stays backup.
  ASSERT_TRUE(v.lab().signal(p->a.pid, SIGUSR1));
  // b takes over after its skew time, well before a master-down interval would run out.
  ASSERT_TRUE(eventually([&] { return v.state(p->b) == "master"; }, 1s))
      << "b did not take over within 1 s of a's priority 0: '" << v.state(p->b) << "'\n"
      << v.logs();
  EXPECT_TRUE(eventually([&] { return v.state(p->a) == "backup" && !v.holds_vip6(kA); }, 1s))
      << "a after resigning is '" << v.state(p->a) << "' and holds the address: "
      << v.holds_vip6(kA) << "\n" << v.logs();
  EXPECT_TRUE(v.holds_vip6(kB)) << v.lab().run("b", "ip -6 addr").output;
  EXPECT_TRUE(v.status(p->a)["resigned"].get<bool>()) << v.status(p->a).dump(2);
  // SIGTERM of the new master: resign and exit; a (still resigned) takes over again, since it
  // is the only router left, and b leaves neither the address nor its macvlan behind.
  ASSERT_TRUE(v.lab().signal(p->b.pid, SIGTERM));
  EXPECT_TRUE(v.lab().wait_exit(p->b.pid, 2000).has_value())
      << "b did not exit within 2 s of SIGTERM\n" << v.logs();
  EXPECT_TRUE(eventually([&] { return v.state(p->a) == "master" && v.holds_vip6(kA); }, 2s))
      << "a is '" << v.state(p->a) << "' after b left\n" << v.logs();
  EXPECT_FALSE(v.holds_vip6(kB)) << v.lab().run("b", "ip -6 addr").output;
  EXPECT_NE(v.lab().run("b", "ip link show dev vrrp6.51").exit_code, 0)
      << "b's macvlan outlived baton-vrrpd's SIGTERM exit";
}

TEST(VrrpBatonPairV6, ObserverSeesTheVirtualMacMove) {
  VRRP_LAB6_OR_SKIP(v, "/usr/sbin/bridge", "/usr/bin/python3");
  auto p = start_pair(v);
  ASSERT_TRUE(p);
  // The client resolves the virtual address (a datagram makes it send a neighbour
  // solicitation): the answer is the virtual MAC, and the bridge has that MAC on a's port.
  // Resend while waiting: on a busy machine the first exchange may not complete in time.
  EXPECT_TRUE(eventually([&] {
    send_udp_from_client(v);
    return client_neighbour(v).find(kVmac6) != std::string::npos;
  }, 3s)) << "c's neighbour entry for " << kVip6 << " is not the virtual MAC " << kVmac6 << ": '"
          << client_neighbour(v) << "'";
  EXPECT_TRUE(eventually([&] { return fdb_entry(v).find("dev pa") != std::string::npos; }, 1s))
      << "the bridge does not have " << kVmac6 << " on the master a's port: '" << fdb_entry(v)
      << "'";
  ASSERT_TRUE(v.lab().signal(p->a.pid, SIGKILL));
  ASSERT_TRUE(eventually([&] { return v.state(p->b) == "master"; }, 2s)) << v.logs();
  // The adverts and unsolicited NAs from the virtual MAC move the bridge's entry to b's port...
  EXPECT_TRUE(eventually([&] { return fdb_entry(v).find("dev pb") != std::string::npos; }, 1s))
      << "the bridge's entry for " << kVmac6 << " did not move to b's port: '" << fdb_entry(v)
      << "'";
  EXPECT_GT(v.status(p->b)["counters"]["announcements"].get<int>(), 0) << v.status(p->b).dump(2);
  // ...and the client's neighbour entry still says the virtual MAC.
  EXPECT_NE(client_neighbour(v).find(kVmac6), std::string::npos) << client_neighbour(v);
}

// The backup's macvlan carries the virtual MAC too; whatever it sends pulls the switch's entry
// for that MAC to the backup until the master's next advert. It used to have a link-local of
// its own (derived from the virtual MAC, the same on both routers) and send router
// solicitations from it for ever (at once, then 4 s, 8 s, ... up to one an hour).
TEST(VrrpBatonPairV6, BackupsMacvlanSendsNoRouterSolicitations) {
  VRRP_LAB6_OR_SKIP(v, "/usr/sbin/nft");
  // Count, on the bridge, router solicitations and DAD probes (ICMPv6 from ::) that enter
  // from b's port with the virtual MAC as source.
  ASSERT_TRUE(v.lab().must(
      "sw", std::string("nft add table bridge vm && nft 'add chain bridge vm in "
                        "{ type filter hook prerouting priority 0; }' && "
                        "nft add rule bridge vm in iifname pb ether saddr ") +
                kVmac6 + " icmpv6 type nd-router-solicit counter && "
                "nft add rule bridge vm in iifname pb ether saddr " + kVmac6 +
                " ip6 saddr :: icmpv6 type nd-neighbor-solicit counter"));
  auto p = start_pair(v);
  ASSERT_TRUE(p);
  // The first solicitation would leave as the macvlan comes up (no DAD in the lab), the next
  // one about 4 s later; give the first one time to arrive.
  std::this_thread::sleep_for(1500ms);
  const std::string counters = v.lab().run("sw", "nft list chain bridge vm in").output;
  const std::vector<long> packets = counter_packets(counters);
  ASSERT_EQ(packets.size(), 2u) << "expected two counters:\n" << counters;
  EXPECT_EQ(packets[0] + packets[1], 0)
      << "b's macvlan sent router solicitations or DAD probes from the virtual MAC:\n" << counters;
  // Neither macvlan has an IPv6 address of its own; the backup's has none at all.
  EXPECT_EQ(v.lab().run("b", "ip -6 -o addr show dev vrrp6.51").output, "")
      << "the backup's macvlan has an address";
  auto master_addrs = v.lab().run("a", "ip -6 -o addr show dev vrrp6.51").output;
  EXPECT_EQ(master_addrs.find("fe80:"), std::string::npos) << master_addrs;
  EXPECT_NE(master_addrs.find(kVip6), std::string::npos) << master_addrs;
  // And the switch still has the virtual MAC on the master's port.
  EXPECT_NE(fdb_entry(v).find("dev pa"), std::string::npos) << fdb_entry(v);
}

TEST(VrrpBatonPairV6, WithoutVmacTheNeighbourEntryFollowsTheUnsolicitedNa) {
  VRRP_LAB6_OR_SKIP(v);
  auto p = start_pair(v, {"--no-vmac"}, {"--no-vmac"});
  ASSERT_TRUE(p);
  auto mac_of = [&](const char* ns) {
    return v.lab().run(ns, "cat /sys/class/net/eth0/address").output.substr(0, 17);
  };
  const std::string mac_a = mac_of("a"), mac_b = mac_of("b");
  // Give the client an entry for the virtual address with a's MAC (Linux updates, but by
  // default does not create, an entry on an unsolicited NA).
  ASSERT_TRUE(v.lab().must("c", std::string("ip -6 neigh replace ") + kVip6 + " lladdr " + mac_a +
                                    " dev eth0 nud stale"));
  ASSERT_TRUE(v.lab().signal(p->a.pid, SIGKILL));
  ASSERT_TRUE(eventually([&] { return v.state(p->b) == "master"; }, 2s)) << v.logs();
  EXPECT_TRUE(eventually([&] { return client_neighbour(v).find(mac_b) != std::string::npos; },
                         1s))
      << "c's entry for " << kVip6 << " did not follow b's unsolicited NA to b's MAC " << mac_b
      << ": '" << client_neighbour(v) << "'\n" << v.status(p->b).dump(2);
}

// A UDP echo server in router ns bound (IPV6_FREEBIND) to the virtual address, answering every
// datagram with its router's name.
Result<pid_t> start_echo(VrrpLab& v, const Router& r) {
  const std::string prog =
      "import socket,sys\n"
      "s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n"
      "s.setsockopt(socket.IPPROTO_IPV6,78,1)\n"  // IPV6_FREEBIND: the address may come later
      "s.bind(('" + std::string(kVip6) + "',7007))\n"
      "while True:\n"
      "  d,a=s.recvfrom(64)\n"
      "  s.sendto(sys.argv[1].encode(),a)\n";
  return v.lab().spawn(r.ns, {"/usr/bin/python3", "-c", prog, r.ns},
                       v.lab().dir() + "/echo-" + r.ns + ".log");
}

// Who answers c's datagram to [kVip6]:7007 within 200 ms ("" if nobody).
std::string echo_from_client(VrrpLab& v) {
  auto r = v.lab().run("c", std::string("/usr/bin/python3 -c \"import socket\n"
                                        "s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n"
                                        "s.settimeout(0.2)\n"
                                        "s.sendto(b'?',('") + kVip6 + "',7007))\n"
                                        "print(s.recvfrom(64)[0].decode())\" 2>/dev/null");
  if (r.exit_code != 0) return "";
  return r.output.substr(0, r.output.find('\n'));
}

TEST(VrrpBatonPairV6, UdpToTheVirtualAddressReachesTheMaster) {
  VRRP_LAB6_OR_SKIP(v, "/usr/sbin/bridge", "/usr/bin/python3");
  auto echo_a = start_echo(v, kA);
  auto echo_b = start_echo(v, kB);
  ASSERT_TRUE(echo_a && echo_b);
  auto p = start_pair(v);
  ASSERT_TRUE(p);
  std::string who;
  EXPECT_TRUE(eventually([&] { return (who = echo_from_client(v)) == "a"; }, 3s))
      << "c's datagram to [" << kVip6 << "]:7007 was answered by '" << who
      << "', expected the master a\n" << read_text(v.lab().dir() + "/echo-a.log");
  ASSERT_TRUE(v.lab().signal(p->a.pid, SIGKILL));
  ASSERT_TRUE(eventually([&] { return v.state(p->b) == "master"; }, 2s)) << v.logs();
  // a's kernel keeps the address after kill -9, but the frames to the virtual MAC now go to b.
  EXPECT_TRUE(eventually([&] { return (who = echo_from_client(v)) == "b"; }, 2s))
      << "after the takeover c's datagram was answered by '" << who << "', expected b; fdb: '"
      << fdb_entry(v) << "'\n" << read_text(v.lab().dir() + "/echo-b.log");
}

}  // namespace
}  // namespace baton::testing
