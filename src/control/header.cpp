#include "control/header.hpp"

#include <algorithm>

#include "control/wire.hpp"

namespace baton::control {

void encode_header(const Header& h, std::vector<std::uint8_t>& out) {
  wire::Writer w(out);
  w.bytes(kMagic);
  w.u8(kVersion);
  w.u8(static_cast<std::uint8_t>(h.type));
  w.u16(h.flags);
  w.u32(h.sender_id);
  w.u32(h.recipient_id);
  w.u64(h.sender_epoch);
  w.u64(h.sequence);
  w.u64(h.recipient_epoch);
  w.u32(h.body_length);
}

Decoded<Frame> parse_frame(std::span<const std::uint8_t> msg) {
  if (msg.size() > kMaxMessageBytes)
    return drop(DropReason::oversized, "{} bytes, at most {}", msg.size(), kMaxMessageBytes);
  if (msg.size() < kHeaderBytes + kMacBytes)
    return drop(DropReason::truncated, "{} bytes, header and MAC alone are {}", msg.size(),
                kHeaderBytes + kMacBytes);
  if (!std::equal(std::begin(kMagic), std::end(kMagic), msg.begin()))
    return drop(DropReason::bad_magic, "{:02x}{:02x}{:02x}{:02x} is not \"BCTL\"", msg[0], msg[1],
                msg[2], msg[3]);

  wire::Reader r(msg.subspan(4, kHeaderBytes - 4));
  std::uint8_t version = 0;
  std::uint8_t type = 0;
  Header h;
  r.u8(version, "version");
  r.u8(type, "type");
  r.u16(h.flags, "flags");
  r.u32(h.sender_id, "sender id");
  r.u32(h.recipient_id, "recipient id");
  r.u64(h.sender_epoch, "sender epoch");
  r.u64(h.sequence, "sequence");
  r.u64(h.recipient_epoch, "recipient epoch");
  r.u32(h.body_length, "body length");
  if (r.failed()) panic("control header reader ran short of a length-checked buffer");

  if (version != kVersion)
    return drop(DropReason::bad_version, "version {}, this build speaks {}", version, kVersion);
  if (type == 0 || type > kMaxMessageType)
    return drop(DropReason::unknown_type, "type {} (1..{} defined)", type, kMaxMessageType);
  h.type = static_cast<MessageType>(type);
  if (h.flags != 0) return drop(DropReason::bad_header, "flags 0x{:04x}, none defined", h.flags);
  if (h.sender_id == 0) return drop(DropReason::bad_header, "sender id 0");
  if (h.sender_epoch == 0) return drop(DropReason::bad_header, "sender epoch 0");
  if (h.body_length > kMaxBodyBytes)
    return drop(DropReason::oversized, "body length {}, at most {}", h.body_length, kMaxBodyBytes);
  std::size_t want = kHeaderBytes + h.body_length + kMacBytes;
  if (msg.size() < want)
    return drop(DropReason::truncated, "{} bytes, header says {} ({} body bytes)", msg.size(), want,
                h.body_length);
  if (msg.size() > want)
    return drop(DropReason::bad_length, "{} bytes, header says {} ({} body bytes)", msg.size(),
                want, h.body_length);

  return Frame{h, msg.first(kHeaderBytes + h.body_length),
               msg.subspan(kHeaderBytes, h.body_length), msg.subspan(kHeaderBytes + h.body_length)};
}

}  // namespace baton::control
