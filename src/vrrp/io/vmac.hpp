// The virtual MAC of one instance, as keepalived's use_vmac: a macvlan on the parent
// interface whose address is 00-00-5E-00-01-{VRID} (IPv6: 00-00-5E-00-02-{VRID}). It exists
// and is up for the daemon's lifetime; the virtual addresses go onto it only while master,
// and adverts and announcements leave from it, so switches learn the virtual MAC where the
// master is.
//
// Interface settings (the reason for each):
//   parent and macvlan arp_ignore=1  each answers ARP only for its own addresses (otherwise
//                                    the macvlan answers for the parent's address with the
//                                    virtual MAC, and the parent for the VIP with its own)
//   parent arp_announce=2            its ARP requests carry its own address, never the VIP
//                                    (which would point neighbours at the parent's MAC)
//   macvlan rp_filter=0              replies to VIP traffic route out of the parent
//   macvlan disable_ipv6=1 (IPv4)    no router solicitations or DAD from the virtual MAC
//                                    on the backup, which would pull the MAC to it
//   macvlan addr_gen_mode=1 (IPv6)   no link-local address of its own (the kernel would derive
//                                    the same one from the virtual MAC on both routers), so
//                                    no DAD and no router solicitations from the virtual MAC
//                                    on the backup (they repeat forever, backing off to one
//                                    an hour, and each pulled the MAC to the backup until
//                                    the master's next advert). Adverts are sourced from the
//                                    parent's link-local; the virtual addresses are added
//                                    without DAD.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "vrrp/io/netlink.hpp"

namespace baton::vrrp::io {

// One per-interface setting under /proc/sys/net.
struct VmacSysctl {
  std::string key;    // "net/ipv4/conf/eth0/arp_ignore"
  std::string value;
  bool required;      // false: skipped if absent (IPv6 settings of an IPv4 instance)
};

// The settings create() writes, in order, before it brings macvlan `name` on `parent` up.
std::vector<VmacSysctl> vmac_sysctls(const std::string& parent, const std::string& name,
                                     Family f);

class VirtualMacLink {
 public:
  // Creates (replacing a leftover of the same name) and brings up the macvlan.
  static Result<VirtualMacLink> create(Netlink& nl, const LinkInfo& parent, const std::string& name,
                                       Family f, std::uint8_t vrid, MacvlanMode mode);
  VirtualMacLink(VirtualMacLink&& o) noexcept;
  VirtualMacLink& operator=(VirtualMacLink&&) = delete;
  // Deletes the macvlan (the kernel drops its addresses with it).
  ~VirtualMacLink();

  int ifindex() const { return ifindex_; }
  const std::string& name() const { return name_; }
  const MacAddress& mac() const { return mac_; }

 private:
  VirtualMacLink(Netlink* nl, int ifindex, std::string name, MacAddress mac)
      : nl_(nl), ifindex_(ifindex), name_(std::move(name)), mac_(mac) {}
  Netlink* nl_;
  int ifindex_ = 0;
  std::string name_;
  MacAddress mac_{};
};

}  // namespace baton::vrrp::io
