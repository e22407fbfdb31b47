// Raw sockets for IP protocol 112 on one segment.
//
// Receive: a socket that has joined the VRRP group (224.0.0.18 / ff02::12) on the parent
// and on the virtual-MAC macvlan, and keeps only packets that arrived on one of them
// (IP_PKTINFO). Both, because a private/passthru macvlan takes a multicast frame whose source
// MAC is its own address (the peer's adverts, sent from the same virtual MAC) away from the
// parent. The kernel hands up IPv4 with its header (TTL read from it) and IPv6 without (hop
// limit and destination from ancillary data).
// Send: a second socket bound to the transmit interface (the virtual-MAC macvlan, so adverts
// leave with the virtual MAC as RFC 5798 §7.3 asks, or the parent without use_vmac), TTL /
// hop limit 255, multicast loop off, source = our primary address. It never reads: a filter
// that accepts nothing keeps its queue empty.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "vrrp/addr.hpp"
#include "vrrp/drop.hpp"
#include "vrrp/validate.hpp"

namespace baton::vrrp::io {

struct VrrpSocketConfig {
  Family family = Family::ipv4;
  std::string rx_interface;  // parent interface
  std::string tx_interface;  // macvlan (use_vmac) or the parent; also received on
  IpAddr source;             // our primary address (IPv6: link-local) on the parent
};

class VrrpSocket {
 public:
  static Result<VrrpSocket> open(const VrrpSocketConfig& cfg);
  VrrpSocket(VrrpSocket&&) noexcept;
  VrrpSocket& operator=(VrrpSocket&&) = delete;
  ~VrrpSocket();

  int rx_fd() const { return rx_fd_; }
  // Sends an encoded VRRP message to `dst` (the group or a unicast peer).
  Status send(std::span<const std::uint8_t> message, const IpAddr& dst);
  // Reads one pending packet (non-blocking): nullopt when none is pending; a parse failure
  // comes back as the packet's drop reason. The payload points into this socket's buffer
  // and stays valid until the next receive().
  std::optional<Verdict<RxPacket>> receive();

 private:
  VrrpSocket(Family f, int rx, int tx, int rx_ifindex, int tx_ifindex)
      : family_(f), rx_fd_(rx), tx_fd_(tx), rx_ifindex_(rx_ifindex), tx_ifindex_(tx_ifindex) {}
  // The packet in `data` with what recvmsg said about it; nullopt if it came in on an
  // interface other than ours.
  std::optional<Verdict<RxPacket>> decode(std::span<const std::uint8_t> data, msghdr& msg,
                                          const sockaddr_storage& from);
  Family family_;
  int rx_fd_ = -1;
  int tx_fd_ = -1;
  int rx_ifindex_ = 0;
  int tx_ifindex_ = 0;
  std::vector<std::uint8_t> buf_ = std::vector<std::uint8_t>(65536);
};

}  // namespace baton::vrrp::io
