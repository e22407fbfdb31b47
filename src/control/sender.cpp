#include "control/sender.hpp"

#include "control/codec.hpp"

namespace baton::control {

Sender::Sender(auth::Key key, std::uint32_t self_id, std::uint64_t epoch, std::uint64_t first_sequence)
    : key_(std::move(key)), id_(self_id), epoch_(epoch), next_(first_sequence) {
  if (id_ == 0 || epoch_ == 0) panic("control::Sender needs a non-zero id and epoch");
}

Result<std::vector<std::uint8_t>> Sender::seal(std::uint32_t recipient_id,
                                               std::uint64_t recipient_epoch, const Body& body) {
  Header h;
  h.sender_id = id_;
  h.recipient_id = recipient_id;
  h.sender_epoch = epoch_;
  h.sequence = next_;
  h.recipient_epoch = recipient_epoch;
  auto out = encode_message(h, body, key_);
  if (out) ++next_;
  return out;
}

}  // namespace baton::control
