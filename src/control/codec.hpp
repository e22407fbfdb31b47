// Whole control messages: header, body and the HMAC-SHA256 trailer.
//
// The key is the control channel's subkey, control_key(master) — see auth/hmac.hpp. The
// decoders check the frame, then the MAC, then the body; decode_message() is what a receiver
// uses (receiver.hpp adds addressing and replay checks). decode_message_unverified() skips the
// MAC and exists for fuzzing, tests and diagnostic tools only: nothing it returns is
// authenticated.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "auth/hmac.hpp"
#include "auth/key.hpp"
#include "control/drop.hpp"
#include "control/header.hpp"
#include "control/messages.hpp"
#include "core/result.hpp"

namespace baton::control {

inline constexpr std::string_view kKeyLabel = "baton-control-v1";

// The control channel's key, derived from the key file's master key.
auth::Key control_key(const auth::Key& master);

struct Message {
  Header header;
  Body body;
  bool operator==(const Message&) const = default;
};

// Encodes and signs. The header's type and body_length are taken from `body`; an error if the
// header has flags, sender id 0 or epoch 0, or if the body breaks a limit.
Result<std::vector<std::uint8_t>> encode_message(const Header& header, const Body& body,
                                                 const auth::Key& key);

Decoded<Message> decode_message(std::span<const std::uint8_t> msg, const auth::Key& key);
Decoded<Message> decode_message_unverified(std::span<const std::uint8_t> msg);

// True if the frame's MAC is right under `key`.
bool frame_authentic(const Frame& f, const auth::Key& key);

}  // namespace baton::control
