#include "xdp_fixture.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include <fmt/format.h>

namespace baton::bpf::testing {

std::optional<std::string> bpf_unavailable() {
  if (geteuid() != 0) return "needs root to load BPF programs";
  if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, nullptr) != 1)
    return "the kernel cannot load XDP programs here";
  return std::nullopt;
}

std::string unique_pin_dir(const std::string& what) {
  static std::atomic<int> n{0};
  return fmt::format("{}/{}-{}-{}", kTestPinRoot, what, getpid(), n++);
}

Mac member_mac(MemberId m, Side side) {
  return {0x02, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(side), static_cast<std::uint8_t>(m)};
}

Mac orchestrator_mac(Side side) {
  return {0x02, 0xff, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(side)};
}

std::optional<MemberId> member_of_mac(const Bytes& frame, Side side) {
  if (frame.size() < 6) return std::nullopt;
  if (frame[0] != 0x02 || frame[1] != 0 || frame[2] != 0 || frame[3] != 0 ||
      frame[4] != static_cast<std::uint8_t>(side))
    return std::nullopt;
  return frame[5];
}

RunResult test_run(int prog_fd, const Bytes& frame, std::uint32_t ifindex) {
  RunResult r;
  r.frame.resize(frame.size() + 256);
  xdp_md ctx{};
  ctx.data_end = static_cast<std::uint32_t>(frame.size());
  ctx.ingress_ifindex = ifindex;
  bpf_test_run_opts o{};
  o.sz = sizeof o;
  o.data_in = frame.data();
  o.data_out = r.frame.data();
  o.data_size_in = static_cast<std::uint32_t>(frame.size());
  o.data_size_out = static_cast<std::uint32_t>(r.frame.size());
  o.ctx_in = &ctx;
  o.ctx_size_in = sizeof ctx;
  o.repeat = 1;
  const int rc = bpf_prog_test_run_opts(prog_fd, &o);
  EXPECT_EQ(rc, 0) << "BPF_PROG_TEST_RUN failed: " << std::strerror(errno) << " (frame of "
                   << frame.size() << " bytes)";
  if (rc != 0) return r;
  r.action = static_cast<int>(o.retval);
  r.frame.resize(o.data_size_out);
  return r;
}

void XdpTest::SetUp() {
  if (auto why = bpf_unavailable()) GTEST_SKIP() << *why;
  auto dp = Datapath::open({unique_pin_dir("xdp")});
  ASSERT_TRUE(dp.ok()) << dp.error().message;
  dp_ = std::move(dp).value();
  MapWriter& m = dp_->maps();
  ASSERT_TRUE(m.set_uplink(kUplink, Side::ext).ok());
  for (std::uint32_t s = 0; s < kSides; ++s) ASSERT_TRUE(m.set_tx_port(s, kUplink).ok());
  for (MemberId id = 0; id < 16; ++id)
    for (Side side : {Side::ext, Side::internal})
      ASSERT_TRUE(m.set_member_port(id, side,
                                    {member_mac(id, side), orchestrator_mac(side),
                                     static_cast<std::uint32_t>(side)})
                      .ok());
}

void XdpTest::TearDown() {
  dp_.reset();
  rmdir(kTestPinRoot);  // the last test out removes the shared parent; others find it busy
}

dist::Table XdpTest::apply(std::vector<MemberId> members, std::uint64_t generation,
                           std::uint32_t buckets, dist::Mode mode) {
  std::vector<dist::MemberSpec> specs;
  for (MemberId id : members) specs.push_back({id, 100});
  auto t = dist::Table::build(specs, buckets, generation);
  EXPECT_TRUE(t.ok()) << t.error().message;
  auto s = dp_->maps().apply_table(*t, mode);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(t).value();
}

Counters XdpTest::counters() {
  auto c = dp_->maps().read_counters();
  EXPECT_TRUE(c.ok()) << c.error().message;
  return c.ok() ? std::move(c).value() : Counters{};
}

}  // namespace baton::bpf::testing
