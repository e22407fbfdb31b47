#include "vrrp/io/sockaddr.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace baton::vrrp::io {

int af_of(Family f) { return f == Family::ipv4 ? AF_INET : AF_INET6; }

socklen_t sockaddr_len(Family f) {
  return f == Family::ipv4 ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
}

sockaddr_storage to_sockaddr(const IpAddr& a, std::uint16_t port, unsigned scope_id) {
  sockaddr_storage ss{};
  if (a.family == Family::ipv4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    std::memcpy(&sin.sin_addr, a.bytes.data(), 4);
    std::memcpy(&ss, &sin, sizeof sin);
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    sin6.sin6_scope_id = scope_id;
    std::memcpy(&sin6.sin6_addr, a.bytes.data(), 16);
    std::memcpy(&ss, &sin6, sizeof sin6);
  }
  return ss;
}

Result<IpAddr> from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, &ss, sizeof sin);
    IpAddr a;
    a.family = Family::ipv4;
    std::memcpy(a.bytes.data(), &sin.sin_addr, 4);
    return a;
  }
  if (ss.ss_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, &ss, sizeof sin6);
    IpAddr a;
    a.family = Family::ipv6;
    std::memcpy(a.bytes.data(), &sin6.sin6_addr, 16);
    return a;
  }
  return err("unexpected socket address family {}", ss.ss_family);
}

Result<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = IpAddr::parse(text.substr(0, slash));
  if (!addr) return addr.error();
  const unsigned max = addr->family == Family::ipv4 ? 32 : 128;
  IpPrefix p{*addr, static_cast<std::uint8_t>(max)};
  if (slash == std::string_view::npos) return p;
  auto len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc{} || ptr != len_text.data() + len_text.size() || len > max)
    return err("'{}': bad prefix length '{}' (0-{})", text, len_text, max);
  p.length = static_cast<std::uint8_t>(len);
  return p;
}

std::string IpPrefix::to_string() const { return addr.to_string() + "/" + std::to_string(length); }

}  // namespace baton::vrrp::io
