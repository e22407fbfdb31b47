// rtnetlink through libmnl: the virtual-MAC macvlan, virtual addresses and link state.
// No shelling out to `ip`: every change is one request answered by the kernel's ack, and a
// failure comes back as an error naming the request and the kernel's reason.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "vrrp/io/sockaddr.hpp"

struct mnl_socket;

namespace baton::vrrp::io {

using MacAddress = std::array<std::uint8_t, 6>;
std::string mac_to_string(const MacAddress& mac);
// 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6 (RFC 5798 §7.3).
MacAddress virtual_mac(Family f, std::uint8_t vrid);

enum class MacvlanMode : std::uint32_t { private_mode = 1, vepa = 2, bridge = 4, passthru = 8 };

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  MacAddress mac{};
  bool admin_up = false;
  bool carrier = false;  // IFF_LOWER_UP
  bool usable() const { return admin_up && carrier; }
};

// Request/ack socket for changes and queries.
class Netlink {
 public:
  static Result<Netlink> open();
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;
  ~Netlink();

  Result<LinkInfo> link(const std::string& name);
  Result<LinkInfo> link(int ifindex);
  // Creates macvlan `name` on `parent` with address `mac`; an existing link of that name is
  // deleted first (a leftover from a previous run).
  Result<int> create_macvlan(int parent, const std::string& name, const MacAddress& mac,
                             MacvlanMode mode);
  Status delete_link(int ifindex);
  Status set_up(int ifindex, bool up);
  // Adding an address that is present, or deleting one that is absent, succeeds.
  Status add_address(int ifindex, const IpPrefix& p);
  Status del_address(int ifindex, const IpPrefix& p);
  // The interface's addresses of one family, primary first (IPv6: link-local first).
  Result<std::vector<IpPrefix>> addresses(int ifindex, Family f);

 private:
  explicit Netlink(mnl_socket* s);
  Status transact(void* nlh, const char* what);
  mnl_socket* sock_ = nullptr;
  unsigned portid_ = 0;
  unsigned seq_ = 1;
};

// Multicast listener for link changes (RTMGRP_LINK); its fd goes into the event loop.
class LinkMonitor {
 public:
  static Result<LinkMonitor> open();
  LinkMonitor(LinkMonitor&&) noexcept;
  LinkMonitor& operator=(LinkMonitor&&) = delete;
  ~LinkMonitor();
  int fd() const;
  // Reads every pending notification (non-blocking).
  std::vector<LinkInfo> drain();

 private:
  explicit LinkMonitor(mnl_socket* s) : sock_(s) {}
  mnl_socket* sock_ = nullptr;
};

}  // namespace baton::vrrp::io
