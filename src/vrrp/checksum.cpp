#include "vrrp/checksum.hpp"

namespace baton::vrrp {

std::uint32_t ones_sum(std::span<const std::uint8_t> data, std::uint32_t sum) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
    sum = (sum & 0xffff) + (sum >> 16);  // keep it folded: no overflow on any length
  }
  if (i < data.size()) sum += static_cast<std::uint32_t>(data[i] << 8);
  return sum;
}

std::uint16_t fold_complement(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, std::uint32_t length) {
  // IPv4 (RFC 768 style): src, dst, zero, protocol, 16-bit length.
  // IPv6 (RFC 8200 §8.1): src, dst, 32-bit length, 3 zero bytes, next header.
  std::uint32_t sum = ones_sum(src.view());
  sum = ones_sum(dst.view(), sum);
  sum += kIpProtoVrrp;
  sum += length >> 16;
  sum += length & 0xffff;
  return sum;
}

std::uint16_t vrrp_checksum(std::span<const std::uint8_t> message, const IpAddr& src,
                            const IpAddr& dst, ChecksumMode mode) {
  std::uint32_t sum = 0;
  if (mode == ChecksumMode::pseudo_header || src.family == Family::ipv6)
    sum = pseudo_header_sum(src, dst, static_cast<std::uint32_t>(message.size()));
  // Skip the checksum field (bytes 6 and 7): it counts as zero.
  sum = ones_sum(message.first(std::min<std::size_t>(6, message.size())), sum);
  if (message.size() > 8) sum = ones_sum(message.subspan(8), sum);
  return fold_complement(sum);
}

}  // namespace baton::vrrp
