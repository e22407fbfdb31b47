// 100k random flows: the member the BPF program sends each packet to is the member the C++
// table gives its flow through the shared header (baton_flow_hash, baton_bucket).
#include <linux/bpf.h>

#include <gtest/gtest.h>

#include <random>

#include "dist/flow.hpp"
#include "xdp_fixture.hpp"

namespace baton::bpf::testing {
namespace {

using test::Frame;

Bytes random_frame(std::mt19937_64& rng) {
  Frame f;
  f.eth();
  if (rng() % 8 == 0) f.vlan(static_cast<std::uint16_t>(rng() % 4000 + 1));
  const bool v6 = rng() % 2 == 0;
  // Global unicast (2000::/3): multicast and link-local destinations are passed local.
  auto word = [&] { return static_cast<std::uint32_t>(rng()); };
  auto global = [&] { return (word() & 0x1FFFFFFFu) | 0x20000000u; };
  if (v6)
    f.ipv6(test::ip6(global(), word(), word(), word()), test::ip6(global(), word(), word(), word()));
  else
    // Keep clear of multicast / broadcast destinations (those are passed local).
    f.ipv4(test::ip4(static_cast<std::uint32_t>(rng())),
           test::ip4(static_cast<std::uint32_t>(rng() % 0xDF000000u)));
  const auto sport = static_cast<std::uint16_t>(rng());
  const auto dport = static_cast<std::uint16_t>(rng());
  switch (rng() % 3) {
    case 0: f.tcp(sport, dport); break;
    case 1: f.udp(sport, dport); break;
    default:
      if (v6) f.icmp6_echo(sport, dport);
      else f.icmp4_echo(sport, dport);
  }
  return f.bytes();
}

class XdpDifferential : public XdpTest {};

TEST_F(XdpDifferential, HundredThousandRandomFlowsPickTheSameMember) {
  std::mt19937_64 rng(20261125);
  std::vector<dist::MemberSpec> specs;
  for (MemberId id = 1; id <= 7; ++id) specs.push_back({id, 50 + static_cast<std::uint32_t>(rng() % 400)});
  int mismatches = 0;
  for (int round = 0; round < 2; ++round) {
    const dist::Mode mode = round == 0 ? dist::Mode::general_l4 : dist::Mode::general;
    const auto seed = static_cast<std::uint32_t>(rng());
    auto t = dist::Table::build(specs, round == 0 ? dist::kDefaultBuckets : 1009, 3 + round);
    ASSERT_TRUE(t.ok()) << t.error().message;
    ASSERT_TRUE(dp_->maps().apply_table(*t, mode, seed).ok());
    for (int i = 0; i < 50000; ++i) {
      const Bytes f = random_frame(rng);
      auto pkt = dist::parse_frame(f);
      ASSERT_TRUE(pkt.ok()) << pkt.error().message;
      const MemberId want =
          t->owner(dist::bucket_of(dist::flow_hash(*pkt, mode, seed), t->size()));
      const RunResult r = run(f);
      ASSERT_EQ(r.action, XDP_REDIRECT) << test::hex(f);
      const auto got = member_of_mac(r.frame, Side::ext);
      if (got != want && ++mismatches <= 5)
        ADD_FAILURE() << "mode " << dist::mode_name(mode) << ": BPF chose "
                      << (got ? std::to_string(*got) : "?") << ", C++ " << want << "\n"
                      << test::hex(f);
    }
  }
  EXPECT_EQ(mismatches, 0);
  const Counters c = counters();
  EXPECT_EQ(c.verdict(Verdict::distributed).packets, 100000u);
}

}  // namespace
}  // namespace baton::bpf::testing
