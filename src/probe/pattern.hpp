// The byte stream each probe TCP connection sends: a function of the connection number and
// the offset, so the client checks every echoed byte without keeping what it sent.
#pragma once

#include <cstdint>

namespace baton::probe {

inline std::uint8_t pattern_byte(std::uint32_t conn, std::uint64_t offset) {
  std::uint64_t x = (offset >> 3) * 0x9E3779B97F4A7C15ull + conn * 0xC2B2AE3D27D4EB4Full;
  x ^= x >> 29;
  return static_cast<std::uint8_t>(x >> (8 * (offset & 7)));
}

// UDP datagram: magic, sequence number, send time (ns), all little-endian.
inline constexpr std::uint32_t kUdpMagic = 0x42505231;  // "BPR1"
inline constexpr std::size_t kUdpBytes = 4 + 8 + 8;

}  // namespace baton::probe
