// Receive-side validation (RFC 5798 §7.1, RFC 3768 §7.1): what the I/O layer knows about a
// received packet, checked against the local virtual router's configuration. The result is
// the advert, or the reason to drop it (count it; never change state for it).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "vrrp/addr.hpp"
#include "vrrp/advert.hpp"
#include "vrrp/drop.hpp"

namespace baton::vrrp {

// A received packet as the I/O layer sees it.
struct RxPacket {
  Family family = Family::ipv4;
  std::uint8_t ttl = 0;  // IPv4 TTL / IPv6 hop limit
  IpAddr src;
  IpAddr dst;
  std::span<const std::uint8_t> payload;  // the VRRP message
};

// What the local virtual router expects.
struct Expect {
  Version version = Version::v3;
  Family family = Family::ipv4;
  std::uint8_t vrid = 1;
  // Unicast destinations we accept besides the VRRP group (our own addresses, for unicast
  // peers). Empty: multicast only.
  std::span<const IpAddr> local_addresses;
  // VRRPv2: our interval (adverts must carry the same, RFC 3768 §7.1) and authentication.
  std::uint16_t v2_interval_cs = 100;
  std::uint8_t v2_auth_type = kAuthNone;
  std::array<std::uint8_t, kV2AuthBytes> v2_auth_data{};
  // When non-empty, an advert whose address set differs from this one is dropped unless
  // its priority is 255 (RFC 5798 §7.1: "MAY verify"; keepalived does).
  std::span<const IpAddr> virtual_addresses;
};

// Checks in order: bad-family, bad-ttl, bad-source, bad-destination, then decode_advert's
// structural checks (zero-interval among them), then bad-version (not the configured
// one), wrong-vrid, (v2) interval-mismatch and bad-auth, then addr-mismatch.
Verdict<Advert> validate_advert(const RxPacket& rx, const Expect& expect);

}  // namespace baton::vrrp
