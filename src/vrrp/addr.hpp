// An IPv4 or IPv6 address as VRRP carries it: network byte order, compared numerically
// (the tie between two masters of equal priority goes to the higher primary address).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace baton::vrrp {

enum class Family : std::uint8_t { ipv4 = 4, ipv6 = 6 };

std::string_view family_name(Family f);  // "ipv4" / "ipv6"

struct IpAddr {
  Family family = Family::ipv4;
  // Network byte order; an IPv4 address uses the first 4 bytes, the rest stay zero so that
  // the defaulted comparison is numeric within a family.
  std::array<std::uint8_t, 16> bytes{};

  static IpAddr v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);
  // From `size()` bytes in network order (4 for ipv4, 16 for ipv6).
  static IpAddr from_bytes(Family f, std::span<const std::uint8_t> b);
  // "192.0.2.1" or "fe80::1"; the error names the text.
  static Result<IpAddr> parse(std::string_view text);

  std::size_t size() const { return family == Family::ipv4 ? 4 : 16; }
  std::span<const std::uint8_t> view() const { return {bytes.data(), size()}; }
  std::string to_string() const;

  bool is_unspecified() const;  // 0.0.0.0 / ::
  bool is_multicast() const;    // 224/4 / ff00::/8
  bool is_link_local() const;   // 169.254/16 / fe80::/10

  auto operator<=>(const IpAddr&) const = default;
};

// The VRRP multicast groups (RFC 5798 §5.1.1.2 and §5.1.2.2).
IpAddr vrrp_group(Family f);  // 224.0.0.18 / ff02::12

}  // namespace baton::vrrp
