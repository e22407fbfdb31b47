// libFuzzer target for the VRRP codec. An input is an IP packet (IPv4 or IPv6 header, then
// the VRRP message), as captured from keepalived/FRR; anything that is not one is also tried
// as a bare VRRP message between two fixed IPv4 addresses. Decoding never crashes, every
// rejection carries a named reason, and whatever decodes re-encodes to the same bytes.
#include <algorithm>
#include <cstdint>
#include <span>

#include "vrrp/advert.hpp"
#include "vrrp/ip_packet.hpp"
#include "vrrp/validate.hpp"

using namespace baton::vrrp;

namespace {

void check_round_trip(std::span<const std::uint8_t> msg, Family family, const IpAddr& src,
                      const IpAddr& dst) {
  auto a = decode_advert(msg, family, src, dst);
  if (!a) {
    if (drop_reason_name(a.reason()).empty()) __builtin_trap();
    return;
  }
  auto again = encode_advert(*a, src, dst);
  if (!again.ok()) __builtin_trap();
  if (again->size() != msg.size() || !std::equal(again->begin(), again->end(), msg.begin()))
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  auto rx = parse_ip_packet(in);
  if (!rx) {
    check_round_trip(in, Family::ipv4, IpAddr::v4(192, 0, 2, 1), vrrp_group(Family::ipv4));
    return 0;
  }
  check_round_trip(rx->payload, rx->family, rx->src, rx->dst);
  // The full receive path, against a configuration that matches the packet's own VRID.
  Expect e;
  e.family = rx->family;
  e.version = !rx->payload.empty() && rx->payload[0] >> 4 == 2 ? Version::v2 : Version::v3;
  e.vrid = rx->payload.size() > 1 ? rx->payload[1] : 1;
  auto v = validate_advert(*rx, e);
  if (!v && drop_reason_name(v.reason()).empty()) __builtin_trap();
  if (v && v->vrid != e.vrid) __builtin_trap();
  return 0;
}
