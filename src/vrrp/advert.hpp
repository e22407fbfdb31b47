// The VRRP advertisement message: VRRPv3 (RFC 5798 §5.2) over IPv4 and IPv6, and VRRPv2
// (RFC 3768 §5.3, IPv4 only; keepalived's default version).
//
//   v3:  ver|type  vrid  priority  count | rsvd(4)|max_adver_int(12 cs)  checksum | addrs
//   v2:  ver|type  vrid  priority  count | auth_type  adver_int(s)       checksum | addrs
//        | auth data (8 bytes)
//
// decode_advert() checks the structure (length, version, type, count, checksum) and
// returns the message or a DropReason; what it accepts, encode_advert() re-encodes to the
// same bytes. The semantic checks against a configuration are in validate.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "vrrp/addr.hpp"
#include "vrrp/checksum.hpp"
#include "vrrp/drop.hpp"

namespace baton::vrrp {

enum class Version : std::uint8_t { v2 = 2, v3 = 3 };

inline constexpr std::size_t kHeaderBytes = 8;
inline constexpr std::size_t kV2AuthBytes = 8;
inline constexpr std::uint16_t kMaxIntervalCs = 4095;  // 12 bits of centiseconds

// VRRPv2 authentication types (RFC 2338; RFC 3768 keeps only 0 on the wire, keepalived
// still offers "PASS").
inline constexpr std::uint8_t kAuthNone = 0;
inline constexpr std::uint8_t kAuthSimpleText = 1;

struct Advert {
  Version version = Version::v3;
  Family family = Family::ipv4;
  std::uint8_t vrid = 1;
  std::uint8_t priority = 100;
  // Advertisement interval in centiseconds. v3: the 12-bit field. v2: the 8-bit field is
  // in seconds, so this is seconds * 100 (encode refuses anything else).
  std::uint16_t interval_cs = 100;
  std::vector<IpAddr> addresses;  // all of `family`
  // v3 over IPv4: the checksum convention to send, or (decoded) the one the sender used.
  ChecksumMode checksum = ChecksumMode::pseudo_header;
  // v3: the 4 reserved bits before the interval, as received (sent as 0 by us).
  std::uint8_t reserved = 0;
  // v2 only.
  std::uint8_t auth_type = kAuthNone;
  std::array<std::uint8_t, kV2AuthBytes> auth_data{};

  bool operator==(const Advert&) const = default;
};

// Length of the encoded message.
std::size_t advert_size(const Advert& a);

// Encodes the message with its checksum (src/dst feed the pseudo-header). Errors: address
// count 0 or > 255, an address of the wrong family, v2 over IPv6, an interval out of range
// (v3: 1..4095 cs; v2: a multiple of 100 cs, 1..255 s), reserved bits over 4 bits.
Result<std::vector<std::uint8_t>> encode_advert(const Advert& a, const IpAddr& src,
                                                const IpAddr& dst);

// Decodes a VRRP message of family `family` (from the IP header) received from src to dst.
// Drop reasons: short, bad-version, bad-type, bad-addr-count, bad-length, bad-checksum,
// zero-interval.
// Trailing bytes beyond the message are bad-length.
Verdict<Advert> decode_advert(std::span<const std::uint8_t> message, Family family,
                              const IpAddr& src, const IpAddr& dst);

}  // namespace baton::vrrp
