#include "vrrp/validate.hpp"

#include <algorithm>
#include <vector>

namespace baton::vrrp {
namespace {

bool same_set(std::span<const IpAddr> a, std::span<const IpAddr> b) {
  std::vector<IpAddr> x(a.begin(), a.end()), y(b.begin(), b.end());
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  x.erase(std::unique(x.begin(), x.end()), x.end());
  y.erase(std::unique(y.begin(), y.end()), y.end());
  return x == y;
}

}  // namespace

Verdict<Advert> validate_advert(const RxPacket& rx, const Expect& expect) {
  if (rx.family != expect.family || rx.src.family != rx.family || rx.dst.family != rx.family)
    return DropReason::bad_family;
  if (rx.ttl != 255) return DropReason::bad_ttl;
  if (rx.src.is_unspecified() || rx.src.is_multicast()) return DropReason::bad_source;
  // RFC 5798 §5.1.2.1: over IPv6 the source is the sender's link-local address.
  if (rx.family == Family::ipv6 && !rx.src.is_link_local()) return DropReason::bad_source;
  if (rx.dst != vrrp_group(rx.family) &&
      std::find(expect.local_addresses.begin(), expect.local_addresses.end(), rx.dst) ==
          expect.local_addresses.end())
    return DropReason::bad_destination;

  auto decoded = decode_advert(rx.payload, rx.family, rx.src, rx.dst);
  if (!decoded) return decoded.reason();
  const Advert& a = *decoded;
  if (a.version != expect.version) return DropReason::bad_version;
  if (a.vrid != expect.vrid) return DropReason::wrong_vrid;
  if (a.version == Version::v2) {
    if (a.interval_cs != expect.v2_interval_cs) return DropReason::interval_mismatch;
    if (a.auth_type != expect.v2_auth_type) return DropReason::bad_auth;
    if (a.auth_type == kAuthSimpleText && a.auth_data != expect.v2_auth_data)
      return DropReason::bad_auth;
  }
  if (!expect.virtual_addresses.empty() && a.priority != 255 &&
      !same_set(a.addresses, expect.virtual_addresses))
    return DropReason::addr_mismatch;
  return decoded;
}

}  // namespace baton::vrrp
