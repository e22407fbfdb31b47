// The heartbeat's UDP socket on the sync link: bound to our address and port, connected to
// the peer's, so only the peer's datagrams are read. DSCP CS6 (network control).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"
#include "vrrp/io/heartbeat_wire.hpp"
#include "vrrp/io/sockaddr.hpp"

namespace baton::vrrp::io {

struct Endpoint {
  IpAddr addr;
  std::uint16_t port = 0;
  // "192.0.2.1:7000" or "[fe80::1%eth1]:7000" (no scope support yet: global IPv6 only).
  static Result<Endpoint> parse(std::string_view text);
  std::string to_string() const;
};

class HeartbeatLink {
 public:
  static Result<HeartbeatLink> open(const Endpoint& local, const Endpoint& peer);
  HeartbeatLink(HeartbeatLink&& o) noexcept : fd_(o.fd_), refused_(o.refused_) { o.fd_ = -1; }
  HeartbeatLink& operator=(HeartbeatLink&&) = delete;
  ~HeartbeatLink();

  int fd() const { return fd_; }
  // Sending fails quietly while the peer is unreachable (ECONNREFUSED, ENETUNREACH): that
  // is what the detector is for. Other errors are returned.
  Status send(const HeartbeatMessage& m);
  // One pending datagram decoded, nullopt when none is pending.
  std::optional<HeartbeatDecoded> receive();
  // Whether the peer's kernel answered one of our datagrams with port unreachable since the
  // last call (ECONNREFUSED on this connected socket, from send or receive): its host is up
  // but nothing listens on the heartbeat port, i.e. the peer's daemon is gone. Clears it.
  bool take_refused() { return std::exchange(refused_, false); }

 private:
  explicit HeartbeatLink(int fd) : fd_(fd) {}
  int fd_ = -1;
  bool refused_ = false;
};

}  // namespace baton::vrrp::io
