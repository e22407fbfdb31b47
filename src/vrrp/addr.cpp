#include "vrrp/addr.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

namespace baton::vrrp {

std::string_view family_name(Family f) { return f == Family::ipv4 ? "ipv4" : "ipv6"; }

IpAddr IpAddr::v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddr r;
  r.family = Family::ipv4;
  r.bytes[0] = a;
  r.bytes[1] = b;
  r.bytes[2] = c;
  r.bytes[3] = d;
  return r;
}

IpAddr IpAddr::from_bytes(Family f, std::span<const std::uint8_t> b) {
  IpAddr r;
  r.family = f;
  std::copy_n(b.begin(), std::min(b.size(), r.size()), r.bytes.begin());
  return r;
}

Result<IpAddr> IpAddr::parse(std::string_view text) {
  std::string s(text);
  IpAddr r;
  if (inet_pton(AF_INET, s.c_str(), r.bytes.data()) == 1) {
    r.family = Family::ipv4;
    return r;
  }
  if (inet_pton(AF_INET6, s.c_str(), r.bytes.data()) == 1) {
    r.family = Family::ipv6;
    return r;
  }
  return err("'{}' is not an IPv4 or IPv6 address", text);
}

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == Family::ipv4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

bool IpAddr::is_unspecified() const {
  auto v = view();
  return std::all_of(v.begin(), v.end(), [](std::uint8_t x) { return x == 0; });
}

bool IpAddr::is_multicast() const {
  return family == Family::ipv4 ? (bytes[0] & 0xf0) == 0xe0 : bytes[0] == 0xff;
}

bool IpAddr::is_link_local() const {
  return family == Family::ipv4 ? bytes[0] == 169 && bytes[1] == 254
                                : bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
}

IpAddr vrrp_group(Family f) {
  if (f == Family::ipv4) return IpAddr::v4(224, 0, 0, 18);
  IpAddr r;
  r.family = Family::ipv6;
  r.bytes[0] = 0xff;
  r.bytes[1] = 0x02;
  r.bytes[15] = 0x12;
  return r;
}

}  // namespace baton::vrrp
