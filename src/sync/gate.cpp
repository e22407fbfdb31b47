#include "sync/gate.hpp"

namespace baton::sync {
namespace {

DropReason reason_of(auth::Freshness f) {
  switch (f) {
    case auth::Freshness::stale_epoch: return DropReason::stale_epoch;
    case auth::Freshness::replayed: return DropReason::replayed;
    case auth::Freshness::too_old: return DropReason::too_old;
    case auth::Freshness::sender_limit: return DropReason::sender_limit;
    case auth::Freshness::fresh: break;
  }
  panic("sync::Gate: a fresh datagram has no drop reason");
}

}  // namespace

Sealer::Sealer(auth::Key key, std::uint32_t self_id, std::uint64_t epoch,
               std::uint64_t first_sequence)
    : key_(std::move(key)), id_(self_id), epoch_(epoch), next_(first_sequence) {
  if (id_ == 0 || epoch_ == 0) panic("sync::Sealer needs a non-zero id and epoch");
}

Result<std::vector<std::uint8_t>> Sealer::seal(const Outgoing& out) {
  Header h;
  h.sender_id = id_;
  h.recipient_id = out.peer_id;
  h.sender_epoch = epoch_;
  h.sequence = next_;
  h.recipient_epoch = out.peer_epoch;
  auto bytes = encode_message(h, out.body, key_);
  if (bytes) ++next_;
  return bytes;
}

Gate::Gate(auth::Key key, GateConfig cfg)
    : key_(std::move(key)), cfg_(cfg), guard_(cfg.max_senders) {
  if (cfg_.self_id == 0 || cfg_.self_epoch == 0)
    panic("sync::Gate needs a non-zero self id and epoch");
}

Received Gate::dropped(Drop d, std::optional<Header> authentic) {
  drops_.count(d.reason);
  Received r;
  r.drop = std::move(d);
  r.authentic_header = authentic;
  return r;
}

Received Gate::receive(std::span<const std::uint8_t> datagram) {
  auto frame = parse_frame(datagram);
  if (!frame) return dropped(frame.drop());
  const Header& h = frame->header;
  auto name = message_type_name(h.type);
  if (!frame_authentic(*frame, key_))
    return dropped(drop(DropReason::bad_mac, "{} from sender {}: HMAC-SHA256 does not match",
                        name, h.sender_id));

  if (h.recipient_id != cfg_.self_id)
    return dropped(drop(DropReason::wrong_recipient, "{} from sender {} is for node {}, we are {}",
                        name, h.sender_id, h.recipient_id, cfg_.self_id),
                   h);
  // parse_frame() already refused kUnknownEpoch on the types that must name our session.
  if (h.recipient_epoch != cfg_.self_epoch && h.recipient_epoch != kUnknownEpoch)
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

}  // namespace baton::sync
