// C++ view of the shared flow header (baton_flow.h): parsing a frame into a flow, the
// symmetric hash and the bucket. The same inline functions run in the XDP program.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/result.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wpedantic"
extern "C" {
#include "dist/baton_flow.h"
}
#pragma GCC diagnostic pop

namespace baton::dist {

using Packet = baton_pkt;

enum class Mode : int { general = BATON_MODE_GENERAL, general_l4 = BATON_MODE_GENERAL_L4 };

inline constexpr std::uint32_t kDefaultSeed = BATON_HASH_SEED_DEFAULT;

// Name of a parse result ("ok", "not-ip", "ipv4-truncated", ...), stable for counters and logs.
std::string_view parse_result_name(int code);
// A sentence for an operator: "IPv4 header or datagram cut short".
std::string_view parse_result_text(int code);

Result<Mode> parse_mode(std::string_view name);
std::string_view mode_name(Mode m);

// Parses a frame; returns the packet or an Error naming what was wrong. NOT_IP is an error
// here too (the caller asked for a flow and there is none).
Result<Packet> parse_frame(std::span<const std::uint8_t> frame);

// The raw parse, for callers (and tests) that want the code.
inline int parse_frame_raw(std::span<const std::uint8_t> frame, Packet& out) {
  // An empty span may have a null data(); pointer arithmetic on it would be undefined.
  if (frame.size() < 14) {
    out = Packet{};
    return BATON_ERR_ETH_TRUNC;
  }
  return baton_parse(frame.data(), frame.data() + frame.size(), &out);
}

inline std::uint32_t flow_hash(const Packet& p, Mode mode, std::uint32_t seed = kDefaultSeed) {
  return baton_flow_hash(&p, static_cast<int>(mode), seed);
}

inline std::uint32_t bucket_of(std::uint32_t hash, std::uint32_t buckets) {
  return baton_bucket(hash, buckets);
}

}  // namespace baton::dist
