// The common header of every control message and the frame around it:
//
//   header (44 bytes) | body (body_length bytes) | HMAC-SHA256 (32 bytes) over header + body
//
// parse_frame() checks everything that does not need the key or the body's type-specific
// layout: size limits, magic, version, type, flags, non-zero sender id and epoch, and that the
// length field matches the bytes present. Layout in docs/protocols.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "auth/hmac.hpp"
#include "control/drop.hpp"
#include "control/messages.hpp"

namespace baton::control {

inline constexpr std::uint8_t kMagic[4] = {'B', 'C', 'T', 'L'};
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderBytes = 44;
inline constexpr std::size_t kMacBytes = auth::kTagBytes;
// One UDP datagram over IPv4 (65535 - 20 - 8).
inline constexpr std::size_t kMaxMessageBytes = 65507;
inline constexpr std::size_t kMaxBodyBytes = kMaxMessageBytes - kHeaderBytes - kMacBytes;
inline constexpr std::uint32_t kAnyRecipient = 0;     // REGISTER to whichever orchestrator
inline constexpr std::uint64_t kUnknownEpoch = 0;     // REGISTER before the first contact

struct Header {
  MessageType type = MessageType::heartbeat;
  std::uint16_t flags = 0;              // none defined in version 1
  std::uint32_t sender_id = 0;          // node id of the sender, unique in the group, not 0
  std::uint32_t recipient_id = 0;       // node id of the receiver, or kAnyRecipient
  std::uint64_t sender_epoch = 0;       // the sender's session (auth/replay.hpp), not 0
  std::uint64_t sequence = 0;           // numbers the sender's messages within its session
  std::uint64_t recipient_epoch = 0;    // the receiver's session as the sender knows it
  std::uint32_t body_length = 0;
  bool operator==(const Header&) const = default;
};

// Appends the 44 header bytes (version kVersion) to `out`.
void encode_header(const Header& h, std::vector<std::uint8_t>& out);

// A message cut into its parts; the spans point into the parsed input.
struct Frame {
  Header header;
  std::span<const std::uint8_t> signed_part;  // header + body: what the MAC covers
  std::span<const std::uint8_t> body;
  std::span<const std::uint8_t> mac;
};

Decoded<Frame> parse_frame(std::span<const std::uint8_t> msg);

}  // namespace baton::control
