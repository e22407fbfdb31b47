// The embeddable VRRP Service with two segments in one sync group (privileged: namespaces).
// Each router runs vrrp-service-node (service_node.cpp): instances "ext" (eth0, VRID 51,
// 10.0.0.100) and "int" (eth1, VRID 52, 10.1.0.100) in one group.
#include <signal.h>
#include <sys/wait.h>

#include "vrrp_lab.hpp"

namespace baton::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string instance_state(VrrpLab& v, const Daemon& d, std::size_t i) {
  json j = v.status(d);
  if (!j.is_object() || !j.contains("instances") || j["instances"].size() <= i) return "";
  return j["instances"][i]["state"].get<std::string>();
}

bool both(VrrpLab& v, const Daemon& d, const std::string& state) {
  return v.state(d) == state && instance_state(v, d, 0) == state &&
         instance_state(v, d, 1) == state;
}

bool holds_both(VrrpLab& v, const Router& r) {
  return v.holds_address(r, kVip) && v.holds_address(r, kVip2);
}
bool holds_none(VrrpLab& v, const Router& r) {
  return !v.holds_address(r, kVip) && !v.holds_address(r, kVip2);
}

// The callbacks' record of the last takeover: before-master came first, when no virtual
// address was present yet, and the state callback for master came after, with them present.
void expect_takeover_order(VrrpLab& v, const Daemon& d) {
  json events = v.status(d)["events"];
  int before = -1, master = -1;
  for (int i = 0; i < static_cast<int>(events.size()); ++i) {
    if (events[i]["event"] == "before-master") before = i;
    if (events[i]["event"] == "state" && events[i]["to"] == "master") master = i;
  }
  ASSERT_GE(before, 0) << events.dump();
  ASSERT_GT(master, before) << "on_state(master) must follow on_before_master: " << events.dump();
  EXPECT_FALSE(events[before]["vip_present"].get<bool>())
      << "a virtual address was added before on_before_master: " << events.dump();
  EXPECT_TRUE(events[master]["vip_present"].get<bool>()) << events.dump();
}

#define START_PAIR(v, a, b, prio_a, prio_b)                                                 \
  VRRP_LAB_OR_SKIP(v);                                                                      \
  ASSERT_TRUE(v.add_second_segment());                                                      \
  auto a = v.start_service_node(kA, prio_a);                                                \
  auto b = v.start_service_node(kB, prio_b);                                                \
  ASSERT_TRUE(a && b);                                                                      \
  ASSERT_TRUE(eventually([&] { return both(v, *a, "master") && both(v, *b, "backup"); }, 5s)) \
      << v.status(*a).dump() << v.status(*b).dump() << v.logs()

TEST(VrrpServiceGroup, BothSegmentsAreMasterOnTheSameSide) {
  START_PAIR(v, a, b, 150, 100);
  EXPECT_TRUE(holds_both(v, kA));
  EXPECT_TRUE(holds_none(v, kB));
  expect_takeover_order(v, *a);
  json sb = v.status(*b);
  for (std::size_t i : {0u, 1u}) {
    EXPECT_GT(sb["instances"][i]["counters"]["adverts_rx"].get<int>(), 0) << i;
    EXPECT_EQ(sb["instances"][i]["master"], i == 0 ? "10.0.0.1" : "10.1.0.1") << i;
  }
  EXPECT_EQ(sb["instances"][0]["segment"], "ext");
  EXPECT_EQ(sb["instances"][1]["segment"], "int");
  EXPECT_EQ(sb["instances"][1]["vmac"], "vrrp.52");
}

TEST(VrrpServiceGroup, LinkDownOnOneSegmentMovesBothInstances) {
  START_PAIR(v, a, b, 150, 100);
  // Only the "int" segment's link goes down on the master: the group goes to fault there, and
  // "ext" (whose link is fine) moves to b with "int".
  ASSERT_TRUE(v.lab().must("a", "ip link set eth1 down"));
  ASSERT_TRUE(eventually([&] { return both(v, *b, "master"); }, 2s))
      << v.status(*b).dump() << v.logs();
  EXPECT_TRUE(eventually([&] { return both(v, *a, "fault"); }, 1s)) << v.status(*a).dump();
  EXPECT_TRUE(eventually([&] { return holds_both(v, kB) && holds_none(v, kA); }, 1s)) << v.logs();
  expect_takeover_order(v, *b);
  // The link returns: a (higher priority) preempts back on both segments.
  ASSERT_TRUE(v.lab().must("a", "ip link set eth1 up"));
  EXPECT_TRUE(eventually([&] { return both(v, *a, "master") && both(v, *b, "backup"); }, 5s))
      << v.status(*a).dump() << v.status(*b).dump() << v.logs();
  EXPECT_TRUE(eventually([&] { return holds_both(v, kA) && holds_none(v, kB); }, 1s)) << v.logs();
}

TEST(VrrpServiceGroup, ResignHandsOverBothAndUnresignTakesThemBack) {
  START_PAIR(v, a, b, 150, 100);
  ASSERT_TRUE(v.lab().signal(a->pid, SIGUSR1));  // resign()
  ASSERT_TRUE(eventually([&] { return both(v, *b, "master"); }, 1s)) << v.logs();
  EXPECT_TRUE(eventually([&] { return both(v, *a, "backup") && holds_none(v, kA); }, 1s))
      << v.status(*a).dump();
  json sa = v.status(*a);
  EXPECT_TRUE(sa["instances"][0]["resigned"].get<bool>());
  EXPECT_TRUE(sa["instances"][1]["resigned"].get<bool>());
  // Resigned, a stays backup although its priority is higher.
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(both(v, *a, "backup")) << v.status(*a).dump();
  ASSERT_TRUE(v.lab().signal(a->pid, SIGUSR2));  // unresign()
  EXPECT_TRUE(eventually([&] { return both(v, *a, "master") && both(v, *b, "backup"); }, 2s))
      << v.status(*a).dump() << v.logs();
  EXPECT_TRUE(eventually([&] { return holds_both(v, kA) && holds_none(v, kB); }, 1s)) << v.logs();
}

TEST(VrrpServiceGroup, LoweringThePriorityOfTheGroupLetsThePeerPreempt) {
  START_PAIR(v, a, b, 150, 100);
  ASSERT_TRUE(v.lab().signal(a->pid, SIGHUP));  // set_priority_all(50)
  ASSERT_TRUE(eventually([&] { return both(v, *b, "master") && both(v, *a, "backup"); }, 2s))
      << v.status(*a).dump() << v.logs();
  json sa = v.status(*a);
  EXPECT_EQ(sa["instances"][0]["priority"], 50);
  EXPECT_EQ(sa["instances"][1]["priority"], 50);
  EXPECT_TRUE(eventually([&] { return holds_both(v, kB) && holds_none(v, kA); }, 1s)) << v.logs();
}

TEST(VrrpServiceGroup, ShutdownHandsOverAndRemovesTheMacvlans) {
  START_PAIR(v, a, b, 150, 100);
  ASSERT_TRUE(v.lab().signal(a->pid, SIGTERM));  // shutdown()
  auto status = v.lab().wait_exit(a->pid, 2000);
  ASSERT_TRUE(status.has_value()) << v.logs();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << v.logs();
  EXPECT_TRUE(eventually([&] { return both(v, *b, "master") && holds_both(v, kB); }, 1s))
      << v.logs();
  EXPECT_TRUE(holds_none(v, kA));
  auto links = v.lab().run("a", "ip -o link show");
  EXPECT_EQ(links.output.find("vrrp."), std::string::npos) << links.output;
  // It waited for b to take over (make-before-break): its last status says so.
  json sa = v.status(*a);
  EXPECT_TRUE(sa["stopped"].get<bool>()) << sa.dump();
}

// resign() called from inside on_before_master runs after that takeover's effects were
// carried out (deferred), not before them: the addresses are added and the state callback
// says master first, then the resignation follows. (Called inline, it would send priority 0
// and step down before the addresses were added, which the takeover would then add anyway.)
TEST(VrrpServiceGroup, ResignFromInsideACallbackIsDeferred) {
  VRRP_LAB_OR_SKIP(v);
  ASSERT_TRUE(v.add_second_segment());
  auto a = v.start_service_node(kA, 150, {"--resign-in-before-master"});
  ASSERT_TRUE(a);
  ASSERT_TRUE(eventually([&] {
    json ev = v.status(*a)["events"];
    for (const auto& e : ev)
      if (e["event"] == "state" && e["from"] == "master" && e["to"] == "backup") return true;
    return false;
  }, 5s)) << v.status(*a).dump() << v.logs();
  json sa = v.status(*a);
  json ev = sa["events"];
  // initialize->backup, before-master (no address yet), backup->master (addresses present),
  // master->backup: the planned resignation.
  ASSERT_GE(ev.size(), 4u) << ev.dump();
  EXPECT_EQ(ev[1]["event"], "before-master") << ev.dump();
  EXPECT_FALSE(ev[1]["vip_present"].get<bool>()) << ev.dump();
  EXPECT_EQ(ev[2]["to"], "master") << ev.dump();
  EXPECT_TRUE(ev[2]["vip_present"].get<bool>()) << ev.dump();
  EXPECT_EQ(ev[3]["to"], "backup") << ev.dump();
  EXPECT_NE(ev[3]["reason"].get<std::string>().find("planned resignation"), std::string::npos)
      << ev.dump();
  EXPECT_TRUE(sa["instances"][0]["resigned"].get<bool>()) << sa.dump();
  EXPECT_TRUE(sa["instances"][1]["resigned"].get<bool>()) << sa.dump();
  // Nobody else is there: after master-down the resigned group takes the addresses back.
  EXPECT_TRUE(eventually([&] { return both(v, *a, "master") && holds_both(v, kA); }, 2s))
      << v.status(*a).dump();
}

TEST(VrrpServiceGroup, DestroyingWithoutShutdownReleasesAtOnce) {
  START_PAIR(v, a, b, 150, 100);
  // The process lives on, without its Service: it must not keep addresses it no longer
  // advertises. Its priority 0 lets b take over at its skew time.
  ASSERT_TRUE(v.lab().signal(a->pid, SIGINT));
  ASSERT_TRUE(eventually([&] { return v.state(*a) == "destroyed"; }, 1s)) << v.logs();
  EXPECT_TRUE(holds_none(v, kA));
  auto links = v.lab().run("a", "ip -o link show");
  EXPECT_EQ(links.output.find("vrrp."), std::string::npos) << links.output;
  EXPECT_TRUE(eventually([&] { return both(v, *b, "master") && holds_both(v, kB); }, 1s))
      << v.logs();
  EXPECT_NE(read_text(a->log).find("destroyed without shutdown()"), std::string::npos)
      << read_text(a->log);
}

}  // namespace
}  // namespace baton::testing
