// Conversions between the core's IpAddr and the socket API, and an address with a prefix
// length as the configuration names virtual addresses ("192.0.2.1/24").
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "vrrp/addr.hpp"

namespace baton::vrrp::io {

int af_of(Family f);  // AF_INET / AF_INET6
// The address in a sockaddr_in / sockaddr_in6 (port and scope as given).
sockaddr_storage to_sockaddr(const IpAddr& a, std::uint16_t port = 0, unsigned scope_id = 0);
socklen_t sockaddr_len(Family f);
// The address of a sockaddr_in / sockaddr_in6; an error for other families.
Result<IpAddr> from_sockaddr(const sockaddr_storage& ss);

struct IpPrefix {
  IpAddr addr;
  std::uint8_t length = 32;
  // "addr" or "addr/len"; without a length: 32 for IPv4, 128 for IPv6.
  static Result<IpPrefix> parse(std::string_view text);
  std::string to_string() const;
};

}  // namespace baton::vrrp::io
