#include "vrrp/advert.hpp"

#include <algorithm>

namespace baton::vrrp {
namespace {

constexpr std::uint8_t kTypeAdvertisement = 1;

std::size_t addr_bytes(Family f) { return f == Family::ipv4 ? 4 : 16; }

void put16(std::vector<std::uint8_t>& w, std::size_t at, std::uint16_t v) {
  w[at] = static_cast<std::uint8_t>(v >> 8);
  w[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}

std::uint16_t get16(std::span<const std::uint8_t> m, std::size_t at) {
  return static_cast<std::uint16_t>(m[at] << 8 | m[at + 1]);
}

}  // namespace

std::size_t advert_size(const Advert& a) {
  return kHeaderBytes + a.addresses.size() * addr_bytes(a.family) +
         (a.version == Version::v2 ? kV2AuthBytes : 0);
}

Result<std::vector<std::uint8_t>> encode_advert(const Advert& a, const IpAddr& src,
                                                const IpAddr& dst) {
  if (a.addresses.empty() || a.addresses.size() > 255)
    return err("VRRP advert for VRID {}: {} addresses (1..255 allowed)", a.vrid,
               a.addresses.size());
  for (const auto& addr : a.addresses)
    if (addr.family != a.family)
      return err("VRRP advert for VRID {}: address {} is not {}", a.vrid, addr.to_string(),
                 family_name(a.family));
  if (src.family != a.family || dst.family != a.family)
    return err("VRRP advert for VRID {}: source/destination family differs from {}", a.vrid,
               family_name(a.family));
  std::uint8_t interval_byte = 0;
  if (a.version == Version::v2) {
    if (a.family != Family::ipv4) return err("VRRPv2 is IPv4 only (VRID {})", a.vrid);
    if (a.interval_cs % 100 != 0 || a.interval_cs < 100 || a.interval_cs > 25500)
      return err("VRRPv2 advert for VRID {}: interval {} cs is not 1..255 whole seconds",
                 a.vrid, a.interval_cs);
    interval_byte = static_cast<std::uint8_t>(a.interval_cs / 100);
  } else {
    if (a.interval_cs < 1 || a.interval_cs > kMaxIntervalCs)
      return err("VRRPv3 advert for VRID {}: interval {} cs out of 1..{}", a.vrid, a.interval_cs,
                 kMaxIntervalCs);
    if (a.reserved > 0xf) return err("VRRPv3 advert: reserved bits {} exceed 4 bits", a.reserved);
  }

  std::vector<std::uint8_t> w(advert_size(a), 0);
  w[0] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(a.version) << 4 | kTypeAdvertisement);
  w[1] = a.vrid;
  w[2] = a.priority;
  w[3] = static_cast<std::uint8_t>(a.addresses.size());
  if (a.version == Version::v2) {
    w[4] = a.auth_type;
    w[5] = interval_byte;
  } else {
    put16(w, 4, static_cast<std::uint16_t>(a.reserved << 12 | a.interval_cs));
  }
  std::size_t at = kHeaderBytes;
  for (const auto& addr : a.addresses) {
    auto v = addr.view();
    std::copy(v.begin(), v.end(), w.begin() + static_cast<std::ptrdiff_t>(at));
    at += v.size();
  }
  if (a.version == Version::v2)
    std::copy(a.auth_data.begin(), a.auth_data.end(), w.begin() + static_cast<std::ptrdiff_t>(at));
  ChecksumMode mode = a.version == Version::v2 ? ChecksumMode::message_only : a.checksum;
  put16(w, 6, vrrp_checksum(w, src, dst, mode));
  return w;
}

Verdict<Advert> decode_advert(std::span<const std::uint8_t> m, Family family, const IpAddr& src,
                              const IpAddr& dst) {
  if (m.size() < kHeaderBytes) return DropReason::short_packet;
  Advert a;
  a.family = family;
  switch (m[0] >> 4) {
    case 2: a.version = Version::v2; break;
    case 3: a.version = Version::v3; break;
    default: return DropReason::bad_version;
  }
  if (a.version == Version::v2 && family != Family::ipv4) return DropReason::bad_version;
  if ((m[0] & 0xf) != kTypeAdvertisement) return DropReason::bad_type;
  a.vrid = m[1];
  a.priority = m[2];
  std::size_t count = m[3];
  if (count == 0) return DropReason::bad_addr_count;
  std::size_t want = kHeaderBytes + count * addr_bytes(family) +
                     (a.version == Version::v2 ? kV2AuthBytes : 0);
  if (m.size() != want) return DropReason::bad_length;

  std::uint16_t sum = get16(m, 6);
  if (a.version == Version::v2) {
    if (sum != vrrp_checksum(m, src, dst, ChecksumMode::message_only))
      return DropReason::bad_checksum;
    a.checksum = ChecksumMode::message_only;
    a.auth_type = m[4];
    a.interval_cs = static_cast<std::uint16_t>(m[5] * 100);
    std::copy_n(m.end() - kV2AuthBytes, kV2AuthBytes, a.auth_data.begin());
  } else {
    if (sum == vrrp_checksum(m, src, dst, ChecksumMode::pseudo_header))
      a.checksum = ChecksumMode::pseudo_header;
    else if (family == Family::ipv4 &&
             sum == vrrp_checksum(m, src, dst, ChecksumMode::message_only))
      a.checksum = ChecksumMode::message_only;
    else
      return DropReason::bad_checksum;
    std::uint16_t field = get16(m, 4);
    a.reserved = static_cast<std::uint8_t>(field >> 12);
    a.interval_cs = field & 0x0fff;
  }
  if (a.interval_cs == 0) return DropReason::zero_interval;
  a.addresses.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    a.addresses.push_back(
        IpAddr::from_bytes(family, m.subspan(kHeaderBytes + i * addr_bytes(family))));
  return a;
}

}  // namespace baton::vrrp
