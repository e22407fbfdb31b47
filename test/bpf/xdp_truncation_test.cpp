// Frames cut at every length: the program must agree with the C parser on what is malformed
// (dropped, never redirected), and what it does not refuse must parse in C as well. Frames
// shorter than an Ethernet header cannot be test-run (the kernel refuses them).
#include <linux/bpf.h>

#include <gtest/gtest.h>

#include "dist/flow.hpp"
#include "xdp_fixture.hpp"

namespace baton::bpf::testing {
namespace {

using test::Frame;
using test::ip4;
using test::ip6;

class XdpTruncation : public XdpTest {
 protected:
  void SetUp() override {
    XdpTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    apply({1, 2, 3}, 1);
  }

  void cut_everywhere(const Bytes& full) {
    for (std::size_t len = 14; len <= full.size(); ++len) {
      const Bytes f(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
      dist::Packet pkt{};
      const int rc = dist::parse_frame_raw(f, pkt);
      const Counters before = counters();
      const RunResult r = run(f);
      const Counters after = counters();
      const auto dropped = after.verdict(Verdict::dropped_malformed).packets -
                           before.verdict(Verdict::dropped_malformed).packets;
      if (rc != BATON_PARSE_OK && rc != BATON_PARSE_NOT_IP) {
        EXPECT_EQ(r.action, XDP_DROP) << "cut at " << len << " (" << dist::parse_result_name(rc)
                                      << ")\n" << test::hex(f);
        EXPECT_EQ(dropped, 1u) << "cut at " << len;
      } else {
        EXPECT_EQ(dropped, 0u) << "cut at " << len << " parses in C but BPF dropped it\n"
                               << test::hex(f);
      }
    }
  }
};

TEST_F(XdpTruncation, Ipv4Tcp) {
  cut_everywhere(Frame().eth().ipv4(ip4("10.0.0.1"), ip4("10.1.0.1"), {.options = {1, 1, 1, 1}})
                     .tcp(1000, 80, {.options = {1, 1, 1, 1}}).bytes());
}

TEST_F(XdpTruncation, VlanIpv4UdpAndIcmp) {
  cut_everywhere(Frame().eth().qinq(3, 4).ipv4(ip4("10.0.0.1"), ip4("10.1.0.1")).udp(1, 2).bytes());
  cut_everywhere(Frame().eth().vlan(9).ipv4(ip4("10.0.0.1"), ip4("10.1.0.1")).icmp4_echo(1, 1).bytes());
}

TEST_F(XdpTruncation, Ipv6WithExtensionHeaders) {
  cut_everywhere(Frame().eth().ipv6(ip6("2001:db8::1"), ip6("2001:db8::2")).hop_by_hop(1)
                     .routing().ah().dst_opts().tcp(1, 2).bytes());
  cut_everywhere(Frame().eth().ipv6(ip6("2001:db8::1"), ip6("2001:db8::2")).frag6(0, true)
                     .udp(1, 2).payload(8).bytes());
}

TEST_F(XdpTruncation, IcmpErrors) {
  cut_everywhere(Frame().eth().ipv4(ip4("192.0.2.1"), ip4("10.0.0.1"))
                     .icmp4_error(3, 1, Frame().ipv4(ip4("10.0.0.1"), ip4("10.1.0.1"),
                                                     {.options = {1, 1, 1, 1}}).tcp(1, 2))
                     .bytes());
  cut_everywhere(Frame().eth().ipv6(ip6("2001:db8::ff"), ip6("2001:db8::1"))
                     .icmp6_error(1, 0, Frame().ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"))
                                            .dst_opts().udp(1, 2))
                     .bytes());
}

}  // namespace
}  // namespace baton::bpf::testing
