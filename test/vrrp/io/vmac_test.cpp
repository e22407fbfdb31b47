// The virtual-MAC macvlan's interface settings (vmac_sysctls): what each family silences.
#include "vrrp/io/vmac.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace baton::vrrp::io {
namespace {

const VmacSysctl* find(const std::vector<VmacSysctl>& v, const std::string& key) {
  auto it = std::find_if(v.begin(), v.end(), [&](const VmacSysctl& s) { return s.key == key; });
  return it == v.end() ? nullptr : &*it;
}

TEST(VmacSysctls, Ipv6MacvlanGetsNoLinkLocalOfItsOwn) {
  // Without addr_gen_mode=1 (none) the kernel gives the backup's macvlan a link-local derived
  // from the virtual MAC and sends router solicitations from it for ever (found by the IPv6
  // namespace tests: each one moved the switch's entry for the virtual MAC to the backup).
  auto v = vmac_sysctls("eth0", "vrrp6.51", Family::ipv6);
  const VmacSysctl* gen = find(v, "net/ipv6/conf/vrrp6.51/addr_gen_mode");
  ASSERT_NE(gen, nullptr) << "IPv6 macvlan: addr_gen_mode not set";
  EXPECT_EQ(gen->value, "1");
  EXPECT_TRUE(gen->required) << "an IPv6 instance cannot do without IPv6 on its macvlan";
  EXPECT_EQ(find(v, "net/ipv6/conf/vrrp6.51/disable_ipv6"), nullptr)
      << "an IPv6 instance must not disable IPv6 on its own macvlan";
}

TEST(VmacSysctls, Ipv4MacvlanHasIpv6DisabledIfThereIsIpv6) {
  auto v = vmac_sysctls("eth0", "vrrp.51", Family::ipv4);
  const VmacSysctl* off = find(v, "net/ipv6/conf/vrrp.51/disable_ipv6");
  ASSERT_NE(off, nullptr);
  EXPECT_EQ(off->value, "1");
  EXPECT_FALSE(off->required) << "a kernel without IPv6 has nothing to silence";
  EXPECT_EQ(find(v, "net/ipv6/conf/vrrp.51/addr_gen_mode"), nullptr);
}

TEST(VmacSysctls, ArpSettingsForBothFamilies) {
  for (Family f : {Family::ipv4, Family::ipv6}) {
    auto v = vmac_sysctls("eth1", "mv", f);
    for (const auto& [key, value] : {std::pair{"net/ipv4/conf/eth1/arp_ignore", "1"},
                                     std::pair{"net/ipv4/conf/eth1/arp_announce", "2"},
                                     std::pair{"net/ipv4/conf/mv/arp_ignore", "1"},
                                     std::pair{"net/ipv4/conf/mv/rp_filter", "0"}}) {
      const VmacSysctl* s = find(v, key);
      ASSERT_NE(s, nullptr) << key << " (" << family_name(f) << ")";
      EXPECT_EQ(s->value, value) << key;
      EXPECT_TRUE(s->required) << key;
    }
  }
}

}  // namespace
}  // namespace baton::vrrp::io
