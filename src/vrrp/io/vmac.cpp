#include "vrrp/io/vmac.hpp"

#include "vrrp/io/sysctl.hpp"

namespace baton::vrrp::io {

Result<VirtualMacLink> VirtualMacLink::create(Netlink& nl, const LinkInfo& parent,
                                              const std::string& name, Family f, std::uint8_t vrid,
                                              MacvlanMode mode) {
  MacAddress mac = virtual_mac(f, vrid);
  auto idx = nl.create_macvlan(parent.ifindex, name, mac, mode);
  if (!idx) return idx.error();
  VirtualMacLink link(&nl, *idx, name, mac);
  const std::string v4 = "net/ipv4/conf/";
  for (const auto& [key, value] : {std::pair{v4 + parent.name + "/arp_ignore", "1"},
                                   std::pair{v4 + parent.name + "/arp_announce", "2"},
                                   std::pair{v4 + name + "/arp_ignore", "1"},
                                   std::pair{v4 + name + "/rp_filter", "0"}}) {
    if (auto s = write_sysctl(key, value); !s) return s.error();
  }
  if (f == Family::ipv4) {
    // Absent when the kernel has IPv6 disabled: then there is nothing to silence.
    (void)write_sysctl("net/ipv6/conf/" + name + "/disable_ipv6", "1");
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
