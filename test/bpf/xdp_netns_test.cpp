// The program on a real uplink: sender ── orchestrator (baton_xdp on up0) ── three members,
// one veth each. Every member receives exactly the flows the C++ table gives it, rewritten
// (MACs, TTL); after a table swap the flows move as the new table says.
#include <net/if.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <thread>

#include "bpf/datapath.hpp"
#include "bpf/member_pass.skel.h"
#include "dist/flow.hpp"
#include "netns.hpp"
#include "netns_util.hpp"
#include "xdp_fixture.hpp"

namespace baton::bpf::testing {
namespace {

using baton::testing::Lab;
using test::Bytes;
using test::Frame;

constexpr int kFlows = 64;
constexpr int kPacketsPerFlow = 3;
constexpr MemberId kMembers[] = {1, 2, 3};

class XdpNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = bpf_unavailable()) GTEST_SKIP() << *why;
    if (auto why = baton::testing::netns_unavailable()) GTEST_SKIP() << *why;
    auto lab = Lab::create();
    ASSERT_TRUE(lab.ok()) << lab.error().message;
    lab_.emplace(std::move(lab).value());
    for (const char* n : {"snd", "orch", "m1", "m2", "m3"}) ASSERT_TRUE(lab_->add_netns(n).ok());
    ASSERT_TRUE(lab_->add_veth("snd", "s0", "orch", "up0").ok());
    for (MemberId m : kMembers) {
      const std::string d = "d" + std::to_string(m), ns = "m" + std::to_string(m);
      ASSERT_TRUE(lab_->add_veth("orch", d, ns, "e0").ok());
    }
    pass_ = member_pass__open_and_load();
    ASSERT_NE(pass_, nullptr) << "loading member_pass";
    for (MemberId m : kMembers) {
      Status st;
      ASSERT_TRUE(lab_->in_netns("m" + std::to_string(m), [&] {
        auto mac = interface_mac("e0");
        if (!mac) { st = mac.error(); return; }
        member_mac_[m] = *mac;
        if (bpf_xdp_attach(static_cast<int>(if_nametoindex("e0")),
                           bpf_program__fd(pass_->progs.member_pass), 0, nullptr) != 0)
          st = err("attaching member_pass: {}", std::strerror(errno));
      }).ok());
      ASSERT_TRUE(st.ok()) << st.error().message;
    }
    auto dp = Datapath::open({unique_pin_dir("netns")});
    ASSERT_TRUE(dp.ok()) << dp.error().message;
    dp_ = std::move(dp).value();
    Status st;
    ASSERT_TRUE(lab_->in_netns("orch", [&] {
      auto mode = dp_->attach("up0", Side::ext);
      if (!mode) { st = mode.error(); return; }
      mode_ = *mode;
      auto up = interface_mac("up0");
      if (!up) { st = up.error(); return; }
      uplink_mac_ = *up;
      for (MemberId m : kMembers) {
        const std::string d = "d" + std::to_string(m);
        auto dmac = interface_mac(d);
        if (!dmac) { st = dmac.error(); return; }
        downlink_mac_[m] = *dmac;
        if (st = dp_->maps().set_tx_port(m, if_nametoindex(d.c_str())); !st) return;
        if (st = dp_->maps().set_member_port(m, Side::ext, {member_mac_[m], *dmac, m}); !st) return;
      }
    }).ok());
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  void TearDown() override {
    dp_.reset();
    if (pass_ != nullptr) member_pass__destroy(pass_);
    lab_.reset();  // deletes every namespace and interface, also after a failure
    rmdir(kTestPinRoot);
  }

  std::vector<Bytes> flows() const {
    std::vector<Bytes> out;
    for (int i = 0; i < kFlows; ++i)
      out.push_back(Frame()
                        .eth(uplink_mac_, test::kMacA)
                        .ipv4(test::ip4(0x0A0A0000u + static_cast<std::uint32_t>(i % 7)),
                              test::ip4("10.20.0.1"))
                        .udp(static_cast<std::uint16_t>(20000 + i), 9999)
                        .bytes());
    return out;
  }

  // Sends every flow kPacketsPerFlow times and returns, per member, the frames it received.
  std::map<MemberId, std::vector<Bytes>> send_and_collect() {
    std::atomic<bool> stop{false};
    std::atomic<int> ready{0};
    std::map<MemberId, std::vector<Bytes>> got;
    std::map<MemberId, std::string> errors;
    std::vector<std::thread> rx;
    for (MemberId m : kMembers)
      rx.emplace_back([&, m] {
        if (auto s = baton::testing::enter_netns(lab_->ns("m" + std::to_string(m))); !s) {
          errors[m] = s.error().message;
          ready++;
          return;
        }
        ready++;
        auto frames = receive_frames("e0", stop);
        if (!frames) errors[m] = frames.error().message;
        else got[m] = std::move(frames).value();
      });
    while (ready.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::vector<Bytes> all;
    for (int k = 0; k < kPacketsPerFlow; ++k)
      for (auto& f : flows()) all.push_back(f);
    Status sent;
    EXPECT_TRUE(lab_->in_netns("snd", [&] { sent = send_frames("s0", all); }).ok());
    EXPECT_TRUE(sent.ok()) << sent.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    stop = true;
    for (auto& t : rx) t.join();
    for (auto& [m, e] : errors) ADD_FAILURE() << "member " << m << ": " << e;
    return got;
  }

  // Every flow reached exactly its owner under `table`, kPacketsPerFlow times, rewritten.
  void expect_placement(const dist::Table& table) {
    auto got = send_and_collect();
    std::map<std::uint16_t, std::map<MemberId, int>> seen;  // sport -> member -> packets
    for (auto& [m, frames] : got)
      for (const Bytes& f : frames) {
        auto p = dist::parse_frame(f);
        if (!p.ok() || p->dport != 9999) continue;  // ND and other noise
        seen[p->sport][m]++;
        EXPECT_TRUE(std::equal(member_mac_[m].begin(), member_mac_[m].end(), f.begin()));
        EXPECT_TRUE(std::equal(downlink_mac_[m].begin(), downlink_mac_[m].end(), f.begin() + 6));
        EXPECT_EQ(p->ttl, 63);
      }
    int flows_checked = 0;
    for (const Bytes& f : flows()) {
      auto p = dist::parse_frame(f);
      ASSERT_TRUE(p.ok());
      const MemberId want =
          table.owner(dist::bucket_of(dist::flow_hash(*p, dist::Mode::general_l4), table.size()));
      std::map<MemberId, int> expected{{want, kPacketsPerFlow}};
      EXPECT_EQ(seen[p->sport], expected) << "flow from port " << p->sport;
      ++flows_checked;
    }
    EXPECT_EQ(flows_checked, kFlows);
  }

  std::optional<Lab> lab_;
  std::unique_ptr<Datapath> dp_;
  member_pass* pass_ = nullptr;
  AttachMode mode_ = AttachMode::generic;
  Mac uplink_mac_{};
  std::map<MemberId, Mac> member_mac_, downlink_mac_;
};

TEST_F(XdpNetns, MembersReceiveExactlyTheirFlowsAndFlowsMoveAfterASwap) {
  EXPECT_EQ(mode_, AttachMode::native) << "veth supports native XDP";
  std::vector<dist::MemberSpec> specs;
  for (MemberId m : kMembers) specs.push_back({m, 100});
  auto t1 = dist::Table::build(specs, 1009, 1);
  ASSERT_TRUE(t1.ok());
  ASSERT_TRUE(dp_->maps().apply_table(*t1, dist::Mode::general_l4).ok());
  expect_placement(*t1);

  auto t2 = t1->without(2);
  ASSERT_TRUE(t2.ok()) << t2.error().message;
  ASSERT_TRUE(dp_->maps().apply_table(*t2, dist::Mode::general_l4).ok());
  EXPECT_EQ(*dp_->maps().live_generation(), t2->generation());
  expect_placement(*t2);
}

}  // namespace
}  // namespace baton::bpf::testing
