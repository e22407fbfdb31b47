// The multi-instance Service's options: defaults, and errors that name the instance.
#include "vrrp/io/service_options.hpp"

#include <gtest/gtest.h>

#include "vrrp/io/options.hpp"

namespace baton::vrrp::io {
namespace {

using namespace std::chrono_literals;

InstanceOptions segment(std::string name, std::string ifname, int vrid, const char* vip) {
  InstanceOptions o;
  o.segment = std::move(name);
  o.interface = std::move(ifname);
  o.vrrp.vrid = static_cast<std::uint8_t>(vrid);
  o.vips = {*IpPrefix::parse(vip)};
  return o;
}

bool mentions(const Status& s, const std::string& what) {
  return !s.ok() && s.error().message.find(what) != std::string::npos;
}

TEST(ServiceOptions, FillsPerInstanceDefaults) {
  ServiceOptions o;
  o.group = "gw1";
  o.instances = {segment("ext", "eth0", 51, "192.0.2.100/24"),
                 segment("ext", "eth0", 51, "2001:db8::100/64"),
                 segment("int", "eth1", 52, "198.51.100.100/24")};
  ASSERT_TRUE(finish_service_options(o));
  EXPECT_EQ(o.instances[0].vrrp.name, "ext");
  EXPECT_EQ(o.instances[1].vrrp.name, "ext-v6");  // one instance per family
  EXPECT_EQ(o.instances[1].vrrp.family, Family::ipv6);
  EXPECT_EQ(o.instances[0].vmac_name, "vrrp.51");
  EXPECT_EQ(o.instances[1].vmac_name, "vrrp6.51");
  EXPECT_EQ(o.instances[2].vmac_name, "vrrp.52");
  for (const auto& i : o.instances) {
    ASSERT_EQ(i.vrrp.tracks.size(), 1u) << i.vrrp.name;
    EXPECT_EQ(i.vrrp.tracks[0].name, i.interface);
    EXPECT_EQ(i.vrrp.tracks[0].weight, 0);  // its own link down = fault (of the group)
  }
  // Finishing again changes nothing (baton-vrrpd finishes, then the Service checks again).
  ServiceOptions again = o;
  ASSERT_TRUE(finish_service_options(again));
  EXPECT_EQ(again.instances[0].vrrp.tracks.size(), 1u);
  EXPECT_EQ(again.instances[0].vrrp.virtual_addresses, o.instances[0].vrrp.virtual_addresses);
}

TEST(ServiceOptions, ErrorsNameTheInstance) {
  ServiceOptions none;
  none.group = "gw1";
  EXPECT_TRUE(mentions(finish_service_options(none), "gw1")) << "no instances";

  ServiceOptions mixed;
  mixed.instances = {segment("dl-ext", "eth2", 53, "192.0.2.1/24")};
  mixed.instances[0].vips.push_back(*IpPrefix::parse("2001:db8::1/64"));
  Status s = finish_service_options(mixed);
  EXPECT_TRUE(mentions(s, "dl-ext")) << s.error().message;
  EXPECT_TRUE(mentions(s, "one instance per family")) << s.error().message;

  ServiceOptions no_if;
  no_if.instances = {segment("int", "", 52, "192.0.2.1/24")};
  EXPECT_TRUE(mentions(finish_service_options(no_if), "'int': no interface"));
}

TEST(ServiceOptions, RejectsCollisions) {
  ServiceOptions names;
  names.instances = {segment("ext", "eth0", 51, "192.0.2.1/24"),
                     segment("ext", "eth1", 52, "192.0.2.2/24")};
  EXPECT_TRUE(mentions(finish_service_options(names), "two instances are named 'ext'"));

  // One VRID on two segments: the default macvlan names collide in the namespace.
  ServiceOptions vmacs;
  vmacs.instances = {segment("ext", "eth0", 51, "192.0.2.1/24"),
                     segment("int", "eth1", 51, "198.51.100.1/24")};
  Status s = finish_service_options(vmacs);
  EXPECT_TRUE(mentions(s, "vrrp.51")) << s.error().message;
  vmacs.instances[1].vmac_name = "vrrp.int.51";
  EXPECT_TRUE(finish_service_options(vmacs));

  ServiceOptions same_vrid;
  same_vrid.instances = {segment("a", "eth0", 51, "192.0.2.1/24"),
                         segment("b", "eth0", 51, "192.0.2.2/24")};
  same_vrid.instances[1].use_vmac = false;
  EXPECT_TRUE(mentions(finish_service_options(same_vrid), "VRID 51"));
}

TEST(ServiceOptions, HeartbeatChecked) {
  ServiceOptions o;
  o.instances = {segment("ext", "eth0", 51, "192.0.2.1/24")};
  o.heartbeat = HeartbeatOptions{*Endpoint::parse("10.0.0.1:7405"),
                                 *Endpoint::parse("10.0.0.2:7405"), {1ms, 2}};
  EXPECT_TRUE(mentions(finish_service_options(o), "multiplier"));
}

TEST(ServiceOptions, BatonVrrpdIsOneInstance) {
  DaemonOptions d;
  d.interface = "eth0";
  d.vips = {*IpPrefix::parse("192.0.2.1/24")};
  d.vrrp.vrid = 7;
  d.vrrp.priority = 150;
  ASSERT_TRUE(finish_options(d));
  ServiceOptions s = to_service_options(d);
  ASSERT_TRUE(finish_service_options(s));
  ASSERT_EQ(s.instances.size(), 1u);
  EXPECT_EQ(s.group, "vrid7");
  EXPECT_EQ(s.instances[0].vrrp.name, "vrid7");
  EXPECT_EQ(s.instances[0].vrrp.priority, 150);
  EXPECT_EQ(s.instances[0].vmac_name, "vrrp.7");
  EXPECT_EQ(s.instances[0].vrrp.tracks.size(), 1u);
}

}  // namespace
}  // namespace baton::vrrp::io
