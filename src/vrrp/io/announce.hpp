// Gratuitous ARP (IPv4) and unsolicited Neighbor Advertisement (IPv6) from the virtual MAC,
// sent as whole Ethernet frames on an AF_PACKET socket bound to the transmit interface, so
// the frame's source MAC (what bridges learn) and the ARP sender MAC are the virtual MAC.
//
//   ARP:  broadcast request, sender = target = the virtual address (RFC 5798 §6.4.1, RFC 5227)
//   NA:   to ff02::1, hop limit 255, Router|Override, target link-layer option = virtual MAC
//
// The back-off schedule (announce_offsets) says when to repeat after the first one.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "vrrp/addr.hpp"
#include "vrrp/io/netlink.hpp"

namespace baton::vrrp::io {

// The frames themselves (exposed for tests).
std::vector<std::uint8_t> gratuitous_arp_frame(const MacAddress& mac, const IpAddr& v4);
// `source` is the link-local address the NA is sent from.
std::vector<std::uint8_t> unsolicited_na_frame(const MacAddress& mac, const IpAddr& source,
                                               const IpAddr& target);

// Offsets from the first announcement: 0, first_gap, 2*first_gap, 4*first_gap, ...
// (`count` entries in all).
std::vector<Duration> announce_offsets(unsigned count, Duration first_gap);

class Announcer {
 public:
  static Result<Announcer> open(int ifindex, const MacAddress& mac);
  Announcer(Announcer&&) noexcept;
  Announcer& operator=(Announcer&&) = delete;
  ~Announcer();
  // One frame per address; `ll_source` is used for IPv6 only.
  Status announce(std::span<const IpAddr> addresses, const IpAddr& ll_source);

 private:
  Announcer(int fd, int ifindex, const MacAddress& mac) : fd_(fd), ifindex_(ifindex), mac_(mac) {}
  int fd_ = -1;
  int ifindex_ = 0;
  MacAddress mac_{};
};

}  // namespace baton::vrrp::io
