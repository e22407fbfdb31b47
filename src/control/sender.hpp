// The sending side of one node: its id, its session epoch (auth/epoch.hpp) and the next
// sequence number. Every sealed message takes the next number.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "auth/key.hpp"
#include "control/messages.hpp"
#include "core/result.hpp"

namespace baton::control {

class Sender {
 public:
  // `key` is the channel key (control_key()); `self_id` and `epoch` must not be 0.
  Sender(auth::Key key, std::uint32_t self_id, std::uint64_t epoch, std::uint64_t first_sequence = 1);

  // Encodes and signs `body` for the node `recipient_id` whose session is `recipient_epoch`
  // (kAnyRecipient / kUnknownEpoch for a first REGISTER). A sequence number is used up only
  // when encoding succeeds.
  Result<std::vector<std::uint8_t>> seal(std::uint32_t recipient_id, std::uint64_t recipient_epoch,
                                         const Body& body);

  std::uint32_t id() const { return id_; }
  std::uint64_t epoch() const { return epoch_; }
  std::uint64_t next_sequence() const { return next_; }

 private:
  auth::Key key_;
  std::uint32_t id_;
  std::uint64_t epoch_;
  std::uint64_t next_;
};

}  // namespace baton::control
