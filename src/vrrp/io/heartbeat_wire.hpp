// The sync-link heartbeat message (BFD-style, UDP). 20 bytes, big-endian:
//
//   0  'B' 'H'         magic
//   2  version = 1
//   3  flags           bit 0: serving (the sender's data links are up and it is not in
//                      fault or resigning: it can hold the virtual addresses)
//                      bit 1: master (the sender holds them now)
//   4  sender id       u32, random per daemon start (a restart is a new session)
//   8  sequence        u32, +1 per message
//  12  interval        u32, microseconds between the sender's messages
//  16  multiplier      u8, messages the receiver may miss before declaring the sender dead
//  17  reserved        3 bytes, sent as 0, ignored
//
// Not authenticated yet (see docs/vrrp.md): a forged message can only hasten a takeover
// that the data-segment adverts already allow, never cause one while adverts arrive.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace baton::vrrp::io {

inline constexpr std::size_t kHeartbeatBytes = 20;

struct HeartbeatMessage {
  bool serving = true;
  bool master = false;
  std::uint32_t sender = 0;
  std::uint32_t seq = 0;
  std::uint32_t interval_us = 1000;
  std::uint8_t multiplier = 3;
  bool operator==(const HeartbeatMessage&) const = default;
};

enum class HeartbeatDrop : std::uint8_t { short_packet, bad_magic, bad_version, bad_timing };
inline constexpr std::size_t kHeartbeatDropCount = 4;
std::string_view heartbeat_drop_name(HeartbeatDrop d);  // "short", "bad-magic", ...

std::array<std::uint8_t, kHeartbeatBytes> encode_heartbeat(const HeartbeatMessage& m);
// The message, or why it is dropped (bad-timing: interval or multiplier 0). Extra bytes
// after the 20 are ignored (a later version may append).
struct HeartbeatDecoded {
  std::optional<HeartbeatMessage> message;
  HeartbeatDrop drop = HeartbeatDrop::short_packet;
};
HeartbeatDecoded decode_heartbeat(std::span<const std::uint8_t> data);

}  // namespace baton::vrrp::io
