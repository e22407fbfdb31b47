// BPF_PROG_TEST_RUN fixtures: every verdict of baton_xdp, IPv4/IPv6, TCP/UDP/ICMP, ICMP errors,
// fragments, TTL, VLAN, EtherTypes, own addresses. Each test checks the action, the frame and
// that exactly the expected verdict counter rose by one.
#include <linux/bpf.h>

#include <gtest/gtest.h>

#include "dist/flow.hpp"
#include "xdp_fixture.hpp"

namespace baton::bpf::testing {
namespace {

using test::Frame;
using test::ip4;
using test::ip6;

class XdpVerdict : public XdpTest {
 protected:
  void SetUp() override {
    XdpTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    table_ = apply({1, 2, 3}, 7);
  }

  // Runs `frame`, checks that exactly verdict `v` counted it, returns the result.
  RunResult expect(const Bytes& frame, Verdict v, int action) {
    const Counters before = counters();
    RunResult r = run(frame);
    const Counters after = counters();
    EXPECT_EQ(r.action, action) << "frame:\n" << test::hex(frame);
    for (std::size_t i = 0; i < kVerdicts; ++i) {
      const auto vi = static_cast<Verdict>(i);
      const std::uint64_t want = vi == v ? 1 : 0;
      EXPECT_EQ(after.verdicts[i].packets - before.verdicts[i].packets, want)
          << "verdict " << verdict_name(vi) << ", expected " << verdict_name(v);
      EXPECT_EQ(after.verdicts[i].bytes - before.verdicts[i].bytes, want * frame.size())
          << "bytes of verdict " << verdict_name(vi);
    }
    return r;
  }

  // The member the C++ side says the frame's flow belongs to.
  MemberId owner(const Bytes& frame) const {
    auto p = dist::parse_frame(frame);
    EXPECT_TRUE(p.ok()) << p.error().message;
    return table_.owner(dist::bucket_of(dist::flow_hash(*p, dist::Mode::general_l4),
                                        table_.size()));
  }

  // Checks a distributed frame: MACs of the owner, TTL / hop limit one less, IPv4 checksum
  // still valid, member counter +1; everything after the MACs otherwise unchanged.
  MemberId expect_distributed(const Bytes& in, std::size_t l3 = 14) {
    const MemberId want = owner(in);
    const Counters before = counters();
    RunResult r = expect(in, Verdict::distributed, XDP_REDIRECT);
    const Counters after = counters();
    EXPECT_EQ(after.members[want].packets - before.members[want].packets, 1u);
    EXPECT_EQ(after.members[want].bytes - before.members[want].bytes, in.size());
    if (r.frame.size() != in.size()) {
      ADD_FAILURE() << "frame length changed";
      return want;
    }
    EXPECT_EQ(member_of_mac(r.frame, Side::ext), want) << test::hex(r.frame);
    const Mac src = orchestrator_mac(Side::ext);
    EXPECT_TRUE(std::equal(src.begin(), src.end(), r.frame.begin() + 6));
    Bytes expected = in;
    std::copy(r.frame.begin(), r.frame.begin() + 12, expected.begin());
    if ((in[l3] >> 4) == 4) {
      EXPECT_EQ(r.frame[l3 + 8], in[l3 + 8] - 1) << "TTL";
      const std::size_t ihl = (in[l3] & 0x0F) * 4u;
      EXPECT_EQ(test::inet_checksum(std::span(r.frame).subspan(l3, ihl)), 0)
          << "IPv4 header checksum after the TTL decrement";
      expected[l3 + 8] = r.frame[l3 + 8];
      expected[l3 + 10] = r.frame[l3 + 10];
      expected[l3 + 11] = r.frame[l3 + 11];
    } else {
      EXPECT_EQ(r.frame[l3 + 7], in[l3 + 7] - 1) << "hop limit";
      expected[l3 + 7] = r.frame[l3 + 7];
    }
    EXPECT_EQ(r.frame, expected) << "only MACs, TTL and checksum may change";
    return want;
  }

  dist::Table table_;
};

const auto kClient4 = ip4("198.51.100.7");
const auto kServer4 = ip4("203.0.113.80");
const auto kClient6 = ip6("2001:db8:1::7");
const auto kServer6 = ip6("2001:db8:2::80");

TEST_F(XdpVerdict, Ipv4TcpIsDistributedToTheTableOwner) {
  expect_distributed(Frame().eth().ipv4(kClient4, kServer4).tcp(40000, 443).bytes());
}

TEST_F(XdpVerdict, Ipv4UdpAndIcmpEchoAreDistributed) {
  expect_distributed(Frame().eth().ipv4(kClient4, kServer4).udp(5353, 53).bytes());
  expect_distributed(Frame().eth().ipv4(kClient4, kServer4).icmp4_echo(7, 1).bytes());
}

TEST_F(XdpVerdict, Ipv6UdpTcpAndIcmpEchoAreDistributed) {
  expect_distributed(Frame().eth().ipv6(kClient6, kServer6).udp(5353, 53).bytes());
  expect_distributed(Frame().eth().ipv6(kClient6, kServer6).tcp(40000, 443).bytes());
  expect_distributed(Frame().eth().ipv6(kClient6, kServer6).icmp6_echo(7, 1).bytes());
}

TEST_F(XdpVerdict, Ipv6WithExtensionHeadersIsDistributed) {
  expect_distributed(
      Frame().eth().ipv6(kClient6, kServer6).hop_by_hop().dst_opts(1).tcp(40000, 443).bytes());
}

TEST_F(XdpVerdict, BothDirectionsOfAFlowGoToTheSameMember) {
  const MemberId a = expect_distributed(Frame().eth().ipv4(kClient4, kServer4).tcp(40000, 443).bytes());
  const MemberId b = expect_distributed(Frame().eth().ipv4(kServer4, kClient4).tcp(443, 40000).bytes());
  EXPECT_EQ(a, b);
  const MemberId c = expect_distributed(Frame().eth().ipv6(kClient6, kServer6).udp(1000, 53).bytes());
  const MemberId d = expect_distributed(Frame().eth().ipv6(kServer6, kClient6).udp(53, 1000).bytes());
  EXPECT_EQ(c, d);
}

TEST_F(XdpVerdict, IcmpErrorsFollowTheFlowTheyReportOn) {
  // Many flows, so that a wrong choice (the error's own addresses) would show.
  for (std::uint16_t port = 30000; port < 30040; ++port) {
    const MemberId flow = owner(Frame().eth().ipv4(kClient4, kServer4).udp(port, 53).bytes());
    const Bytes err4 = Frame().eth().ipv4(ip4("192.0.2.1"), kClient4)
                           .icmp4_error(11, 0, Frame().ipv4(kClient4, kServer4).udp(port, 53), 28)
                           .bytes();
    EXPECT_EQ(expect_distributed(err4), flow) << "port " << port;
    const MemberId flow6 = owner(Frame().eth().ipv6(kClient6, kServer6).tcp(port, 443).bytes());
    const Bytes err6 = Frame().eth().ipv6(ip6("2001:db8:ff::1"), kClient6)
                           .icmp6_error(1, 0, Frame().ipv6(kClient6, kServer6).tcp(port, 443))
                           .bytes();
    EXPECT_EQ(expect_distributed(err6), flow6) << "port " << port;
  }
}

TEST_F(XdpVerdict, FragmentsFollowTheirAddressHash) {
  for (std::uint32_t i = 0; i < 20; ++i) {
    const auto src = ip4(0xC6336400u + i);
    const MemberId first = expect_distributed(
        Frame().eth().ipv4(src, kServer4, {.mf = true}).udp(5000, 53).payload(64).bytes());
    const MemberId later = expect_distributed(
        Frame().eth().ipv4(src, kServer4, {.frag_offset = 9, .proto = 17}).payload(40).bytes());
    EXPECT_EQ(first, later) << "fragment " << i;
    const auto src6 = ip6(0x20010db8, 1, 0, i);
    const MemberId first6 = expect_distributed(
        Frame().eth().ipv6(src6, kServer6).frag6(0, true).udp(5000, 53).payload(64).bytes());
    const MemberId later6 = expect_distributed(
        Frame().eth().ipv6(src6, kServer6).frag6(9, false, 0x1234, 17).payload(40).bytes());
    EXPECT_EQ(first6, later6) << "IPv6 fragment " << i;
  }
}

TEST_F(XdpVerdict, TtlOneOrZeroGoesToTheKernelUntouched) {
  for (std::uint8_t ttl : {std::uint8_t{0}, std::uint8_t{1}}) {
    const Bytes f = Frame().eth().ipv4(kClient4, kServer4, {.ttl = ttl}).tcp(1, 2).bytes();
    EXPECT_EQ(expect(f, Verdict::passed_ttl, XDP_PASS).frame, f);
    const Bytes g = Frame().eth().ipv6(kClient6, kServer6, {.hop_limit = ttl}).udp(1, 2).bytes();
    EXPECT_EQ(expect(g, Verdict::passed_ttl, XDP_PASS).frame, g);
  }
  expect_distributed(Frame().eth().ipv4(kClient4, kServer4, {.ttl = 2}).tcp(1, 2).bytes());
}

TEST_F(XdpVerdict, VlanTaggedFramesAreDistributedWithTheirTags) {
  expect_distributed(Frame().eth().vlan(10).ipv4(kClient4, kServer4).tcp(40000, 443).bytes(), 18);
  expect_distributed(Frame().eth().qinq(100, 10).ipv6(kClient6, kServer6).udp(1, 2).bytes(), 22);
}

TEST_F(XdpVerdict, ArpIsPassedLocalOtherEtherTypesNotIp) {
  const Bytes arp = Frame().eth().arp_request(kClient4, kServer4).bytes();
  EXPECT_EQ(expect(arp, Verdict::passed_local, XDP_PASS).frame, arp);
  const Bytes lldp = Frame().eth({.type = 0x88CC}).payload(46).bytes();
  EXPECT_EQ(expect(lldp, Verdict::passed_not_ip, XDP_PASS).frame, lldp);
  const Bytes tagged = Frame().eth().vlan(5).arp_request(kClient4, kServer4).bytes();
  expect(tagged, Verdict::passed_local, XDP_PASS);
}

TEST_F(XdpVerdict, VrrpAndNeighbourDiscoveryArePassedLocal) {
  expect(Frame().eth().ipv4(kClient4, ip4("224.0.0.18"), {.ttl = 255, .proto = 112}).payload(20).bytes(),
         Verdict::passed_local, XDP_PASS);
  // VRRP to a unicast address is still the orchestrator's.
  expect(Frame().eth().ipv4(kClient4, kServer4, {.ttl = 255, .proto = 112}).payload(20).bytes(),
         Verdict::passed_local, XDP_PASS);
  expect(Frame().eth().ipv6(kClient6, kServer6, {.hop_limit = 255, .next_header = 112})
             .payload(20).bytes(),
         Verdict::passed_local, XDP_PASS);
  // Neighbour advertisement to a global address that is not ours: ND all the same.
  expect(Frame().eth().ipv6(kClient6, kServer6, {.hop_limit = 255}).icmp6(136, 0).payload(16).bytes(),
         Verdict::passed_local, XDP_PASS);
  // Solicitation to the solicited-node multicast address.
  expect(Frame().eth().ipv6(kClient6, ip6("ff02::1:ff00:80"), {.hop_limit = 255})
             .icmp6(135, 0).payload(16).bytes(),
         Verdict::passed_local, XDP_PASS);
}

TEST_F(XdpVerdict, MulticastAndLinkLocalArePassedLocal) {
  expect(Frame().eth().ipv4(kClient4, ip4("239.1.2.3")).udp(1, 2).bytes(), Verdict::passed_local,
         XDP_PASS);
  expect(Frame().eth().ipv4(kClient4, ip4("255.255.255.255")).udp(68, 67).bytes(),
         Verdict::passed_local, XDP_PASS);
  expect(Frame().eth().ipv6(kClient6, ip6("fe80::1")).udp(1, 2).bytes(), Verdict::passed_local,
         XDP_PASS);
}

TEST_F(XdpVerdict, OwnAddressesArePassedLocalWhileConfigured) {
  const Bytes to4 = Frame().eth().ipv4(kClient4, kServer4).tcp(50000, 179).bytes();
  const Bytes to6 = Frame().eth().ipv6(kClient6, kServer6).tcp(50000, 179).bytes();
  auto a4 = IpAddress::parse("203.0.113.80");
  auto a6 = IpAddress::parse("2001:db8:2::80");
  ASSERT_TRUE(a4.ok() && a6.ok());
  ASSERT_TRUE(dp_->maps().add_local_address(*a4).ok());
  ASSERT_TRUE(dp_->maps().add_local_address(*a6).ok());
  EXPECT_EQ(expect(to4, Verdict::passed_local, XDP_PASS).frame, to4);
  EXPECT_EQ(expect(to6, Verdict::passed_local, XDP_PASS).frame, to6);
  // An ICMP error to us is ours too, whatever flow it reports on.
  expect(Frame().eth().ipv4(ip4("192.0.2.1"), kServer4)
             .icmp4_error(3, 4, Frame().ipv4(kServer4, kClient4).tcp(179, 50000), 28).bytes(),
         Verdict::passed_local, XDP_PASS);
  ASSERT_TRUE(dp_->maps().remove_local_address(*a4).ok());
  ASSERT_TRUE(dp_->maps().remove_local_address(*a6).ok());
  expect_distributed(to4);
  expect_distributed(to6);
}

TEST_F(XdpVerdict, MalformedFramesAreDropped) {
  expect(Frame().eth().ipv4(kClient4, kServer4, {.version = 5}).tcp(1, 2).bytes(),
         Verdict::dropped_malformed, XDP_DROP);
  expect(Frame().eth().ipv4(kClient4, kServer4, {.ihl = 4}).tcp(1, 2).bytes(),
         Verdict::dropped_malformed, XDP_DROP);
  expect(Frame().eth().ipv4(kClient4, kServer4).tcp(1, 2, {.doff = 4}).bytes(),
         Verdict::dropped_malformed, XDP_DROP);
  expect(Frame().eth().ipv6(kClient6, kServer6, {.version = 4}).udp(1, 2).bytes(),
         Verdict::dropped_malformed, XDP_DROP);
  expect(Frame().eth().vlan(1).vlan(2).vlan(3).ipv4(kClient4, kServer4).tcp(1, 2).bytes(),
         Verdict::dropped_malformed, XDP_DROP);
}

TEST_F(XdpVerdict, PaddedFramesUseTheDatagramNotThePadding) {
  // 20-byte IPv4 datagram claiming TCP, padded to 60: the TCP header is not in the datagram.
  expect(Frame().eth().ipv4(kClient4, kServer4, {.proto = 6, .total_len = 20}).payload(26).bytes(),
         Verdict::dropped_malformed, XDP_DROP);
  expect_distributed(Frame().eth().ipv4(kClient4, kServer4).tcp(1, 2).pad_to(60).bytes());
}

TEST_F(XdpVerdict, NoMemberWhenTheOwnerHasNoPortOrNoTableIsLive) {
  const Bytes f = Frame().eth().ipv4(kClient4, kServer4).tcp(40000, 443).bytes();
  const MemberId m = owner(f);
  ASSERT_TRUE(dp_->maps().clear_member_port(m, Side::ext).ok());
  expect(f, Verdict::no_member, XDP_DROP);
  ASSERT_TRUE(dp_->maps().set_member_port(m, Side::ext,
                                          {member_mac(m, Side::ext), orchestrator_mac(Side::ext), 0})
                  .ok());
  expect_distributed(f);

  auto fresh = Datapath::open({unique_pin_dir("fresh")});
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  ASSERT_TRUE((*fresh)->maps().set_uplink(kUplink, Side::ext).ok());
  EXPECT_EQ(*(*fresh)->maps().live_generation(), 0u);
  EXPECT_EQ(test_run((*fresh)->program_fd(), f).action, XDP_DROP);
  auto c = (*fresh)->maps().read_counters();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->verdict(Verdict::no_member).packets, 1u);
}

TEST_F(XdpVerdict, UnownedBucketsCountAsNoMember) {
  // A table whose only member has weight 0 owns nothing.
  auto t = dist::Table::build(std::vector<dist::MemberSpec>{{1, 0}}, 7, 9);
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_TRUE(dp_->maps().apply_table(*t, dist::Mode::general).ok());
  expect(Frame().eth().ipv4(kClient4, kServer4).tcp(1, 2).bytes(), Verdict::no_member, XDP_DROP);
}

TEST_F(XdpVerdict, UnconfiguredInterfaceIsPassed) {
  ASSERT_TRUE(dp_->maps().clear_uplink(kUplink).ok());
  const Bytes f = Frame().eth().ipv4(kClient4, kServer4).tcp(40000, 443).bytes();
  EXPECT_EQ(expect(f, Verdict::passed_unconfigured, XDP_PASS).frame, f);
}

TEST_F(XdpVerdict, InternalSideUsesTheInternalMacs) {
  ASSERT_TRUE(dp_->maps().set_uplink(kUplink, Side::internal).ok());
  const Bytes f = Frame().eth().ipv4(kServer4, kClient4).tcp(443, 40000).bytes();
  RunResult r = expect(f, Verdict::distributed, XDP_REDIRECT);
  EXPECT_EQ(member_of_mac(r.frame, Side::internal), owner(f));
  const Mac src = orchestrator_mac(Side::internal);
  EXPECT_TRUE(std::equal(src.begin(), src.end(), r.frame.begin() + 6));
}

TEST_F(XdpVerdict, LiveGenerationIsReadable) {
  EXPECT_EQ(*dp_->maps().live_generation(), 7u);
  apply({1, 2}, 8);
  EXPECT_EQ(*dp_->maps().live_generation(), 8u);
}

}  // namespace
}  // namespace baton::bpf::testing
