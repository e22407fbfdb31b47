// The two ends of the sync channel on one member, whatever the peer:
//   Sealer: numbers (sequence, for the peer's replay guard) and signs what the stream
//           endpoints want sent (Outgoing);
//   Gate:   decode + authenticate + addressing + replay check, with a counter per drop
//           reason. A datagram is accepted only if every check passes; a dropped one changes
//           nothing but the counter (in particular not the replay window).
//
// Gate checks, in order (the first failure is the drop reason):
//   frame (size, magic, version, type, flags, ids, epochs, length)  -> parse_frame's reasons
//   HMAC-SHA256 under the sync key                                 -> bad-mac
//   recipient id is ours                                           -> wrong-recipient
//   recipient epoch is ours (kUnknownEpoch: HEARTBEAT and
//   RESYNC_REQUEST only)                                           -> wrong-session
//   (sender, epoch, sequence) fresh in the replay guard            -> stale-epoch, replayed,
//                                                                     too-old, sender-limit
//   body decodes and meets every limit                             -> malformed-body
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "auth/key.hpp"
#include "auth/replay.hpp"
#include "sync/drop.hpp"
#include "sync/wire.hpp"

namespace baton::sync {

class Sealer {
 public:
  // `key` is the channel key (sync_key()); `self_id` and `epoch` must not be 0.
  Sealer(auth::Key key, std::uint32_t self_id, std::uint64_t epoch,
         std::uint64_t first_sequence = 1);

  // Encodes and signs. A sequence number is used up only when encoding succeeds.
  Result<std::vector<std::uint8_t>> seal(const Outgoing& out);

  std::uint32_t id() const { return id_; }
  std::uint64_t epoch() const { return epoch_; }
  std::uint64_t next_sequence() const { return next_; }

 private:
  auth::Key key_;
  std::uint32_t id_;
  std::uint64_t epoch_;
  std::uint64_t next_;
};

struct GateConfig {
  std::uint32_t self_id = 0;     // our node id, not 0
  std::uint64_t self_epoch = 0;  // our session epoch, not 0
  std::size_t max_senders = auth::kDefaultMaxSenders;
};

struct Received {
  std::optional<Message> message;  // set when accepted
  std::optional<Drop> drop;        // set when dropped
  // Set when the datagram was dropped after its MAC was verified: the header is genuine,
  // though it may be an old one. On wrong-session it tells the agent that the peer still
  // speaks to an earlier session of ours: answer with a RESYNC_REQUEST
  // (PeerReceiver::resync_request()), whose header carries our current epoch.
  std::optional<Header> authentic_header;
  bool accepted() const { return message.has_value(); }
};

class Gate {
 public:
  Gate(auth::Key key, GateConfig cfg);

  Received receive(std::span<const std::uint8_t> datagram);

  const DropCounters& drops() const { return drops_; }
  std::uint64_t accepted() const { return accepted_; }
  const auth::ReplayGuard& guard() const { return guard_; }
  // Forgets a sender's replay state (a member removed from the group).
  void forget(std::uint32_t sender) { guard_.forget(sender); }

 private:
  Received dropped(Drop d, std::optional<Header> authentic = std::nullopt);

  auth::Key key_;
  GateConfig cfg_;
  auth::ReplayGuard guard_;
  DropCounters drops_;
  std::uint64_t accepted_ = 0;
};

}  // namespace baton::sync
