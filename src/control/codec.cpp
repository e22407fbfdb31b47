#include "control/codec.hpp"

#include "control/body.hpp"

namespace baton::control {

auth::Key control_key(const auth::Key& master) { return auth::derive_key(master, kKeyLabel); }

Result<std::vector<std::uint8_t>> encode_message(const Header& header, const Body& body,
                                                 const auth::Key& key) {
  auto name = message_type_name(type_of(body));
  if (header.flags != 0) return err("{}: flags 0x{:04x}, none defined", name, header.flags);
  if (header.sender_id == 0) return err("{}: sender id 0", name);
  if (header.sender_epoch == 0) return err("{}: sender epoch 0", name);
  auto bytes = encode_body(body);
  if (!bytes) return bytes.error();

  Header h = header;
  h.type = type_of(body);
  h.body_length = static_cast<std::uint32_t>(bytes->size());
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderBytes + bytes->size() + kMacBytes);
  encode_header(h, out);
  out.insert(out.end(), bytes->begin(), bytes->end());
  auth::Tag tag = auth::hmac_sha256(key, out);
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

bool frame_authentic(const Frame& f, const auth::Key& key) {
  return auth::hmac_verify(key, f.signed_part, f.mac);
}

namespace {

Decoded<Message> decode_parsed(const Frame& f) {
  auto body = decode_body(f.header.type, f.body);
  if (!body) return body.drop();
  return Message{f.header, std::move(body).value()};
}

}  // namespace

Decoded<Message> decode_message(std::span<const std::uint8_t> msg, const auth::Key& key) {
  auto frame = parse_frame(msg);
  if (!frame) return frame.drop();
  if (!frame_authentic(*frame, key))
    return drop(DropReason::bad_mac, "{} from sender {}: HMAC-SHA256 does not match",
                message_type_name(frame->header.type), frame->header.sender_id);
  return decode_parsed(*frame);
}

Decoded<Message> decode_message_unverified(std::span<const std::uint8_t> msg) {
  auto frame = parse_frame(msg);
  if (!frame) return frame.drop();
  return decode_parsed(*frame);
}

}  // namespace baton::control
