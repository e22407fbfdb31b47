// The receiving side of one node: decode + authenticate + addressing + replay check, with a
// drop counter per reason. A message is accepted only if every check passes; a dropped one
// changes nothing but the drop counter (in particular not the replay window).
//
// Checks, in order (the first failure is the drop reason):
//   frame (size, magic, version, type, flags, ids, length)  -> parse_frame's reasons
//   HMAC-SHA256 under the channel key                        -> bad-mac
//   recipient id is ours (kAnyRecipient: REGISTER only)      -> wrong-recipient
//   recipient epoch is ours (kUnknownEpoch: REGISTER only)   -> wrong-session
//   (sender, epoch, sequence) fresh in the replay guard      -> stale-epoch, replayed, too-old,
//                                                               sender-limit
//   body decodes and meets every limit                       -> malformed-body
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "auth/key.hpp"
#include "auth/replay.hpp"
#include "control/codec.hpp"
#include "control/drop.hpp"

namespace baton::control {

struct ReceiverConfig {
  std::uint32_t self_id = 0;     // our node id, not 0
  std::uint64_t self_epoch = 0;  // our session epoch, not 0
  std::size_t max_senders = auth::kDefaultMaxSenders;
};

struct Received {
  std::optional<Message> message;  // set when accepted
  std::optional<Drop> drop;        // set when dropped
  // Set when the message was dropped after its MAC was verified (wrong recipient or session,
  // stale, replayed, malformed body): the header is genuine, though it may be an old one.
  // A daemon uses it to tell a peer that speaks to an old session of ours to register again.
  std::optional<Header> authentic_header;
  bool accepted() const { return message.has_value(); }
};

class Receiver {
 public:
  Receiver(auth::Key key, ReceiverConfig cfg);

  Received receive(std::span<const std::uint8_t> msg);

  const DropCounters& drops() const { return drops_; }
  std::uint64_t accepted() const { return accepted_; }
  const auth::ReplayGuard& guard() const { return guard_; }
  // Forgets a sender's replay state (a member removed from the group).
  void forget(std::uint32_t sender) { guard_.forget(sender); }

 private:
  Received dropped(Drop d, std::optional<Header> authentic = std::nullopt);

  auth::Key key_;
  ReceiverConfig cfg_;
  auth::ReplayGuard guard_;
  DropCounters drops_;
  std::uint64_t accepted_ = 0;
};

}  // namespace baton::control
