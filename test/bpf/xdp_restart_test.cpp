// Attach, crash, restart: a run that dies leaves its links and maps pinned (forwarding goes
// on); the next run takes over what it attaches again, detaches what it does not, and a clean
// shutdown leaves nothing attached and nothing pinned. Also: native with generic fallback.
#include <bpf/bpf.h>
#include <net/if.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "bpf/datapath.hpp"
#include "bpf/pins.hpp"
#include "netns.hpp"
#include "netns_util.hpp"
#include "xdp_fixture.hpp"

namespace baton::bpf::testing {
namespace {

using baton::testing::Lab;

class XdpRestart : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = bpf_unavailable()) GTEST_SKIP() << *why;
    if (auto why = baton::testing::netns_unavailable()) GTEST_SKIP() << *why;
    auto lab = Lab::create();
    ASSERT_TRUE(lab.ok()) << lab.error().message;
    lab_.emplace(std::move(lab).value());
    ASSERT_TRUE(lab_->add_netns("orch").ok());
    ASSERT_TRUE(lab_->add_netns("peer").ok());
    ASSERT_TRUE(lab_->add_veth("orch", "up0", "peer", "p0").ok());
    ASSERT_TRUE(lab_->add_veth("orch", "up1", "peer", "p1").ok());
    pin_dir_ = unique_pin_dir("restart");
  }
  void TearDown() override {
    // After a failure the crashed run's pins may be left: remove them (unpinned, the links go).
    for (const char* sub : {"/links", "/maps"}) {
      for (const auto& n : list_pins(pin_dir_ + sub)) unlink((pin_dir_ + sub + "/" + n).c_str());
      rmdir((pin_dir_ + sub).c_str());
    }
    rmdir(pin_dir_.c_str());
    lab_.reset();
    rmdir(kTestPinRoot);
  }

  // What XDP program runs on `ifname` in the orchestrator namespace (0: none).
  std::uint32_t prog_on(const std::string& ifname) {
    std::uint32_t id = 0;
    std::string e;
    EXPECT_TRUE(lab_->in_netns("orch", [&] {
      auto r = attached_prog_id(ifname);
      if (r) id = *r;
      else e = r.error().message;
    }).ok());
    EXPECT_EQ(e, "");
    return id;
  }

  // A daemon run that attaches to up0 and up1, installs generation 41 and dies (no cleanup).
  void crashed_run() {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      if (!baton::testing::enter_netns(lab_->ns("orch"))) _exit(10);
      auto dp = Datapath::open({pin_dir_});
      if (!dp) _exit(11);
      if (!(*dp)->attach("up0", Side::ext) || !(*dp)->attach("up1", Side::internal)) _exit(12);
      auto t = dist::Table::build(std::vector<dist::MemberSpec>{{1, 1}}, 7, 41);
      if (!t || !(*dp)->maps().apply_table(*t, dist::Mode::general)) _exit(13);
      _exit(0);  // a crash: no destructor runs
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0) << "the crashing run failed before it crashed";
  }

  std::optional<Lab> lab_;
  std::string pin_dir_;
};

TEST_F(XdpRestart, ACrashLeavesForwardingInPlaceAndTheNextRunTakesOverOrCleansUp) {
  crashed_run();
  const std::uint32_t old_up0 = prog_on("up0");
  EXPECT_NE(old_up0, 0u) << "the crashed run's program is still attached";
  EXPECT_NE(prog_on("up1"), 0u);

  {
    auto dp = Datapath::open({pin_dir_});
    ASSERT_TRUE(dp.ok()) << dp.error().message;
    EXPECT_EQ(*(*dp)->maps().live_generation(), 41u) << "the pinned table survives the restart";
    Result<AttachMode> mode = err("not run");
    ASSERT_TRUE(lab_->in_netns("orch", [&] { mode = (*dp)->attach("up0", Side::ext); }).ok());
    ASSERT_TRUE(mode.ok()) << mode.error().message;
    EXPECT_EQ(prog_on("up0"), prog_id((*dp)->program_fd())) << "taken over by the new program";
    EXPECT_NE(prog_on("up0"), old_up0);

    Status released;
    ASSERT_TRUE(lab_->in_netns("orch", [&] { released = (*dp)->release_unclaimed(); }).ok());
    ASSERT_TRUE(released.ok()) << released.error().message;
    EXPECT_EQ(prog_on("up1"), 0u) << "up1 is not configured any more: detached";
    EXPECT_EQ(list_pins(pin_dir_ + "/links"), std::vector<std::string>{"up0"});
  }  // clean shutdown
  EXPECT_EQ(prog_on("up0"), 0u);
  EXPECT_TRUE(list_pins(pin_dir_).empty());
  struct stat st {};
  EXPECT_NE(stat(pin_dir_.c_str(), &st), 0) << "pin directory removed";
}

TEST_F(XdpRestart, NativeWhereTheDriverHasItGenericElsewhere) {
  ASSERT_TRUE(lab_->must("orch", "ip link add dm0 type bridge && ip link set dm0 up").ok());
  auto dp = Datapath::open({pin_dir_});
  ASSERT_TRUE(dp.ok()) << dp.error().message;
  Result<AttachMode> veth = err("not run"), bridge = err("not run");
  ASSERT_TRUE(lab_->in_netns("orch", [&] {
    veth = (*dp)->attach("up0", Side::ext);
    bridge = (*dp)->attach("dm0", Side::internal);
  }).ok());
  ASSERT_TRUE(veth.ok()) << veth.error().message;
  ASSERT_TRUE(bridge.ok()) << bridge.error().message;
  EXPECT_EQ(*veth, AttachMode::native);
  EXPECT_EQ(*bridge, AttachMode::generic) << "a bridge has no native XDP";
  Status d;
  ASSERT_TRUE(lab_->in_netns("orch", [&] { d = (*dp)->detach("dm0"); }).ok());
  EXPECT_TRUE(d.ok());
  EXPECT_EQ(prog_on("dm0"), 0u);
  EXPECT_FALSE((*dp)->detach("dm0").ok()) << "detaching twice is an error";
}

TEST_F(XdpRestart, AttachingOverAForeignProgramIsAClearError) {
  ASSERT_TRUE(lab_->must("orch", "ip link set dev up1 xdpgeneric off").ok());
  auto dp = Datapath::open({pin_dir_});
  ASSERT_TRUE(dp.ok()) << dp.error().message;
  auto other = Datapath::open({unique_pin_dir("other")});
  ASSERT_TRUE(other.ok()) << other.error().message;
  Result<AttachMode> first = err("not run"), second = err("not run");
  ASSERT_TRUE(lab_->in_netns("orch", [&] {
    first = (*other)->attach("up1", Side::ext);
    second = (*dp)->attach("up1", Side::ext);
  }).ok());
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("another XDP program"), std::string::npos)
      << second.error().message;

  // The failed attach left no side configured for up1 in this instance's maps.
  const auto frame = test::Frame().eth().ipv4(test::ip4("10.0.0.1"), test::ip4("10.0.0.2"))
                         .udp(1, 2).bytes();
  ASSERT_TRUE(lab_->in_netns("orch", [&] {
    test_run((*dp)->program_fd(), frame, if_nametoindex("up1"));
  }).ok());
  auto c = (*dp)->maps().read_counters();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->verdict(Verdict::passed_unconfigured).packets, 1u);
}

// A version with another map layout (before the globals: baton_state, baton_ports, ...) left
// its map pins: open() removes them, pins its own maps (the .bss one as baton_xd_bss, the BPF
// filesystem refusing dots), and a clean shutdown leaves nothing.
TEST(XdpPins, PinsOfAnotherMapLayoutAreRemovedAtOpen) {
  if (auto why = bpf_unavailable()) GTEST_SKIP() << *why;
  const std::string dir = unique_pin_dir("layout");
  ASSERT_TRUE(ensure_pin_dir(dir + "/maps").ok());
  const int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "baton_state", 4, 56, 1, nullptr);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(bpf_obj_pin(fd, (dir + "/maps/baton_state").c_str()), 0);
  close(fd);
  {
    auto dp = Datapath::open({dir});
    ASSERT_TRUE(dp.ok()) << dp.error().message;
    const auto pins = list_pins(dir + "/maps");
    EXPECT_EQ(std::count(pins.begin(), pins.end(), "baton_state"), 0);
    EXPECT_EQ(std::count(pins.begin(), pins.end(), "baton_xd_bss"), 1);
    EXPECT_EQ(std::count(pins.begin(), pins.end(), "baton_table"), 1);
  }
  EXPECT_TRUE(list_pins(dir).empty());
  rmdir(kTestPinRoot);
}

}  // namespace
}  // namespace baton::bpf::testing
