#include "control/receiver.hpp"

#include "control/body.hpp"

namespace baton::control {
namespace {

DropReason reason_of(auth::Freshness f) {
  switch (f) {
    case auth::Freshness::stale_epoch: return DropReason::stale_epoch;
    case auth::Freshness::replayed: return DropReason::replayed;
    case auth::Freshness::too_old: return DropReason::too_old;
    case auth::Freshness::sender_limit: return DropReason::sender_limit;
    case auth::Freshness::fresh: break;
  }
  panic("control::Receiver: a fresh message has no drop reason");
}

}  // namespace

Receiver::Receiver(auth::Key key, ReceiverConfig cfg)
    : key_(std::move(key)), cfg_(cfg), guard_(cfg.max_senders) {
  if (cfg_.self_id == 0 || cfg_.self_epoch == 0)
    panic("control::Receiver needs a non-zero self id and epoch");
}

Received Receiver::dropped(Drop d, std::optional<Header> authentic) {
  drops_.count(d.reason);
  Received r;
  r.drop = std::move(d);
  r.authentic_header = authentic;
  return r;
}

Received Receiver::receive(std::span<const std::uint8_t> msg) {
  auto frame = parse_frame(msg);
  if (!frame) return dropped(frame.drop());
  const Header& h = frame->header;
  auto name = message_type_name(h.type);
  if (!frame_authentic(*frame, key_))
    return dropped(drop(DropReason::bad_mac, "{} from sender {}: HMAC-SHA256 does not match",
                        name, h.sender_id));

  bool first_contact = h.type == MessageType::register_;
  if (h.recipient_id != cfg_.self_id && !(first_contact && h.recipient_id == kAnyRecipient))
    return dropped(drop(DropReason::wrong_recipient, "{} from sender {} is for node {}, we are {}",
                        name, h.sender_id, h.recipient_id, cfg_.self_id),
                   h);
  if (h.recipient_epoch != cfg_.self_epoch && !(first_contact && h.recipient_epoch == kUnknownEpoch))
    return dropped(drop(DropReason::wrong_session,
                        "{} from sender {} names our session {}, ours is {}", name, h.sender_id,
                        h.recipient_epoch, cfg_.self_epoch),
                   h);

  auth::Freshness fresh = guard_.check(h.sender_id, h.sender_epoch, h.sequence);
  if (fresh != auth::Freshness::fresh)
    return dropped(drop(reason_of(fresh), "{} from sender {} epoch {} sequence {}", name,
                        h.sender_id, h.sender_epoch, h.sequence),
                   h);

  auto body = decode_body(h.type, frame->body);
  if (!body) return dropped(body.drop(), h);

  guard_.commit(h.sender_id, h.sender_epoch, h.sequence);
  ++accepted_;
  Received r;
  r.message = Message{h, std::move(body).value()};
  return r;
}

}  // namespace baton::control
