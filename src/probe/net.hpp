// Small socket helpers for the probe: numeric address parsing and error text.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "core/result.hpp"

namespace baton::probe {

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family() const { return ss.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

// Parses a numeric IPv4 or IPv6 address and a port.
Result<SockAddr> parse_addr(const std::string& host, std::uint16_t port);

// "Connection refused (errno 111)".
std::string errno_text(int e);

Status set_nonblocking(int fd);

}  // namespace baton::probe
