#include "vrrp/io/vmac.hpp"

#include "vrrp/io/sysctl.hpp"

namespace baton::vrrp::io {

std::vector<VmacSysctl> vmac_sysctls(const std::string& parent, const std::string& name,
                                     Family f) {
  const std::string v4 = "net/ipv4/conf/";
  const std::string v6 = "net/ipv6/conf/";
  std::vector<VmacSysctl> out = {{v4 + parent + "/arp_ignore", "1", true},
                                 {v4 + parent + "/arp_announce", "2", true},
                                 {v4 + name + "/arp_ignore", "1", true},
                                 {v4 + name + "/rp_filter", "0", true}};
  if (f == Family::ipv4) {
    // Absent when the kernel has IPv6 disabled: then there is nothing to silence.
    out.push_back({v6 + name + "/disable_ipv6", "1", false});
  } else {
    // IN6_ADDR_GEN_MODE_NONE, set while the macvlan is still down: no link-local appears.
    out.push_back({v6 + name + "/addr_gen_mode", "1", true});
  }
  return out;
}

Result<VirtualMacLink> VirtualMacLink::create(Netlink& nl, const LinkInfo& parent,
                                              const std::string& name, Family f, std::uint8_t vrid,
                                              MacvlanMode mode) {
  MacAddress mac = virtual_mac(f, vrid);
  auto idx = nl.create_macvlan(parent.ifindex, name, mac, mode);
  if (!idx) return idx.error();
  VirtualMacLink link(&nl, *idx, name, mac);
  for (const VmacSysctl& s : vmac_sysctls(parent.name, name, f)) {
    Status w = write_sysctl(s.key, s.value);
    if (!w && s.required) return w.error();
  }
  if (auto s = nl.set_up(*idx, true); !s) return s.error();
  return link;
}

VirtualMacLink::VirtualMacLink(VirtualMacLink&& o) noexcept
    : nl_(o.nl_), ifindex_(o.ifindex_), name_(std::move(o.name_)), mac_(o.mac_) {
  o.ifindex_ = 0;
}

VirtualMacLink::~VirtualMacLink() {
  if (ifindex_ != 0 && nl_ != nullptr) (void)nl_->delete_link(ifindex_);
}

}  // namespace baton::vrrp::io
