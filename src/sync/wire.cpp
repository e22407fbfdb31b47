#include "sync/wire.hpp"

#include <algorithm>

namespace baton::sync {
namespace {

// Little-endian writer and reader. A read past the end fails and records which field was cut
// short; later reads keep failing, so a chain of reads needs one check at the end.
class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { le(v, 2); }
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }

 private:
  void le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t>& out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  template <typename T>
  bool num(T& v, const char* field) {
    if (!take(sizeof(T), field)) return false;
    std::uint64_t x = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) x |= std::uint64_t{in_[pos_ + i]} << (8 * i);
    pos_ += sizeof(T);
    v = static_cast<T>(x);
    return true;
  }
  bool bytes(std::uint8_t* out, std::size_t n, const char* field) {
    if (!take(n, field)) return false;
    std::copy_n(in_.begin() + static_cast<std::ptrdiff_t>(pos_), n, out);
    pos_ += n;
    return true;
  }
  std::size_t remaining() const { return in_.size() - pos_; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  void fail(std::string e) {
    if (!failed()) error_ = std::move(e);
  }
  // Puts where the error happened in front of it: "record 3: family 5, 4 or 6 allowed".
  void annotate(std::string_view where) { error_ = fmt::format("{}: {}", where, error_); }

 private:
  bool take(std::size_t n, const char* field) {
    if (failed()) return false;
    if (remaining() < n) {
      error_ = fmt::format("{}: needs {} bytes, {} left", field, n, remaining());
      return false;
    }
    return true;
  }
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  std::string error_;
};

std::size_t addr_bytes(std::uint8_t family) { return family == 6 ? 16 : 4; }

// --- validation -------------------------------------------------------------------------

Status check_tuple(const Tuple& t, std::uint8_t family, const char* which) {
  if (family != 4) return {};
  auto padded = [](const std::array<std::uint8_t, 16>& a) {
    return std::all_of(a.begin() + 4, a.end(), [](std::uint8_t b) { return b == 0; });
  };
  if (!padded(t.src) || !padded(t.dst))
    return err("{} tuple: IPv4 address with non-zero bytes after the 4th", which);
  return {};
}

Status check_record(const Record& r) {
  if (r.op != Op::upsert && r.op != Op::remove)
    return err("op {} (1 upsert, 2 remove)", static_cast<int>(r.op));
  if (r.version == 0) return err("version 0");
  const ConnKey& k = r.conn.key;
  if (k.family != 4 && k.family != 6) return err("family {}, 4 or 6 allowed", k.family);
  if (auto s = check_tuple(k.orig, k.family, "original"); !s) return s;
  if (r.op == Op::upsert) return check_tuple(r.conn.reply, k.family, "reply");
  return {};
}

Status validate(const Update& m) {
  if (m.data_seq == 0) return err("data_seq 0");
  if (m.floor > m.data_seq) return err("floor {} above data_seq {}", m.floor, m.data_seq);
  if (m.records.empty() || m.records.size() > kMaxRecords)
    return err("{} records, 1..{} allowed", m.records.size(), kMaxRecords);
  for (std::size_t i = 0; i < m.records.size(); ++i)
    if (auto s = check_record(m.records[i]); !s) return err("record {}: {}", i, s.error().message);
  return {};
}

Status validate(const Ack& m) {
  if (m.received.size() > kMaxAckRanges)
    return err("{} ack ranges, at most {}", m.received.size(), kMaxAckRanges);
  std::uint64_t after = m.cumulative;  // each range starts at least 2 above this
  for (const auto& r : m.received) {
    if (after >= UINT64_MAX - 1 || r.first < after + 2 || r.last < r.first)
      return err("ack range {}..{} after {}: ranges must be ascending, disjoint, not adjacent "
                 "and above cumulative + 1", r.first, r.last, after);
    after = r.last;
  }
  return {};
}

Status validate(const Heartbeat& m) {
  if (m.next_data_seq == 0) return err("next_data_seq 0");
  if (m.floor > m.next_data_seq)
    return err("floor {} above next_data_seq {}", m.floor, m.next_data_seq);
  if ((m.flags & ~kHeartbeatWantResync) != 0)
    return err("heartbeat flags 0x{:02x}, only 0x01 defined", m.flags);
  return {};
}

Status validate(const ResyncRequest&) { return {}; }

// --- encoding ---------------------------------------------------------------------------

void encode_tuple(const Tuple& t, std::uint8_t family, Writer& w) {
  std::size_t n = addr_bytes(family);
  w.bytes(std::span(t.src).first(n));
  w.bytes(std::span(t.dst).first(n));
  w.u16(t.sport);
  w.u16(t.dport);
}

void encode_record(const Record& r, Writer& w) {
  const Conn& c = r.conn;
  w.u8(static_cast<std::uint8_t>(r.op));
  w.u64(r.version);
  w.u8(c.key.family);
  w.u8(c.key.proto);
  encode_tuple(c.key.orig, c.key.family, w);
  if (r.op != Op::upsert) return;
  encode_tuple(c.reply, c.key.family, w);
  w.u32(c.status);
  w.u32(c.timeout_s);
  w.u32(c.mark);
  w.u16(c.zone);
  w.u8(c.tcp_state);
}

void encode(const Update& m, Writer& w) {
  w.u64(m.data_seq);
  w.u64(m.floor);
  w.u16(static_cast<std::uint16_t>(m.records.size()));
  for (const auto& r : m.records) encode_record(r, w);
}

void encode(const Ack& m, Writer& w) {
  w.u64(m.cumulative);
  w.u8(static_cast<std::uint8_t>(m.received.size()));
  for (const auto& r : m.received) {
    w.u64(r.first);
    w.u64(r.last);
  }
}

void encode(const Heartbeat& m, Writer& w) {
  w.u64(m.next_data_seq);
  w.u64(m.floor);
  w.u8(m.flags);
}

void encode(const ResyncRequest&, Writer&) {}

// --- decoding ---------------------------------------------------------------------------

void decode_tuple(Reader& r, std::uint8_t family, Tuple& t) {
  std::size_t n = addr_bytes(family);
  r.bytes(t.src.data(), n, "source address");
  r.bytes(t.dst.data(), n, "destination address");
  r.num(t.sport, "source port");
  r.num(t.dport, "destination port");
}

void decode_record(Reader& r, Record& rec) {
  Conn& c = rec.conn;
  std::uint8_t op = 0;
  r.num(op, "op");
  r.num(rec.version, "version");
  r.num(c.key.family, "family");
  r.num(c.key.proto, "protocol");
  if (r.failed()) return;
  // The family decides how long the rest is, so it is checked before reading on.
  if (c.key.family != 4 && c.key.family != 6)
    return r.fail(fmt::format("family {}, 4 or 6 allowed", c.key.family));
  if (op != 1 && op != 2) return r.fail(fmt::format("op {} (1 upsert, 2 remove)", op));
  rec.op = static_cast<Op>(op);
  decode_tuple(r, c.key.family, c.key.orig);
  if (rec.op != Op::upsert) return;
  decode_tuple(r, c.key.family, c.reply);
  r.num(c.status, "status");
  r.num(c.timeout_s, "timeout");
  r.num(c.mark, "mark");
  r.num(c.zone, "zone");
  r.num(c.tcp_state, "tcp state");
}

void decode(Reader& r, Update& m) {
  std::uint16_t n = 0;
  r.num(m.data_seq, "data_seq");
  r.num(m.floor, "floor");
  if (!r.num(n, "record count")) return;
  if (n > kMaxRecords) return r.fail(fmt::format("{} records, at most {}", n, kMaxRecords));
  m.records.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    decode_record(r, m.records[i]);
    if (r.failed()) return r.annotate(fmt::format("record {}", i));
  }
}

void decode(Reader& r, Ack& m) {
  std::uint8_t n = 0;
  r.num(m.cumulative, "cumulative");
  if (!r.num(n, "range count")) return;
  if (n > kMaxAckRanges) return r.fail(fmt::format("{} ack ranges, at most {}", n, kMaxAckRanges));
  m.received.resize(n);
  for (auto& range : m.received) {
    r.num(range.first, "range first");
    r.num(range.last, "range last");
  }
}

void decode(Reader& r, Heartbeat& m) {
  r.num(m.next_data_seq, "next_data_seq");
  r.num(m.floor, "floor");
  r.num(m.flags, "flags");
}

void decode(Reader&, ResyncRequest&) {}

template <typename T>
Body make_body() {
  return Body{T{}};
}

Body empty_body(MessageType t) {
  switch (t) {
    case MessageType::update: return make_body<Update>();
    case MessageType::ack: return make_body<Ack>();
    case MessageType::heartbeat: return make_body<Heartbeat>();
    case MessageType::resync_request: return make_body<ResyncRequest>();
  }
  panic("sync: body of an unknown message type");
}

Status check_header(const Header& h, MessageType t) {
  auto name = message_type_name(t);
  if (h.flags != 0) return err("{}: flags 0x{:04x}, none defined", name, h.flags);
  if (h.sender_id == 0) return err("{}: sender id 0", name);
  if (h.recipient_id == 0) return err("{}: recipient id 0", name);
  if (h.sender_epoch == 0) return err("{}: sender epoch 0", name);
  if (h.recipient_epoch == kUnknownEpoch && !recipient_epoch_optional(t))
    return err("{}: recipient epoch 0 (only HEARTBEAT and RESYNC_REQUEST may say unknown)", name);
  return {};
}

void encode_header(const Header& h, std::vector<std::uint8_t>& out) {
  Writer w(out);
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

// Header and body, signed; the body is known to be valid.
std::vector<std::uint8_t> seal(const Header& header, MessageType t,
                               const std::vector<std::uint8_t>& body, const auth::Key& key) {
  Header h = header;
  h.type = t;
  h.body_length = static_cast<std::uint32_t>(body.size());
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderBytes + body.size() + kMacBytes);
  encode_header(h, out);
  out.insert(out.end(), body.begin(), body.end());
  auth::Tag tag = auth::hmac_sha256(key, out);
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

}  // namespace

auth::Key sync_key(const auth::Key& master) { return auth::derive_key(master, kKeyLabel); }

std::string_view message_type_name(MessageType t) {
  switch (t) {
    case MessageType::update: return "update";
    case MessageType::ack: return "ack";
    case MessageType::heartbeat: return "heartbeat";
    case MessageType::resync_request: return "resync-request";
  }
  return "unknown";
}

MessageType type_of(const Body& b) {
  return static_cast<MessageType>(b.index() + 1);
}

std::size_t record_wire_size(const Record& r) {
  const std::size_t tuple = 2 * addr_bytes(r.conn.key.family) + 4;
  const std::size_t key = 1 + 8 + 1 + 1 + tuple;
  return r.op == Op::upsert ? key + tuple + 4 + 4 + 4 + 2 + 1 : key;
}

Status validate_body(const Body& b) {
  return std::visit([](const auto& m) { return validate(m); }, b);
}

Result<std::vector<std::uint8_t>> encode_message(const Header& header, const Body& body,
                                                 const auth::Key& key) {
  MessageType t = type_of(body);
  if (auto s = check_header(header, t); !s) return s.error();
  if (auto s = validate_body(body); !s)
    return err("{}: {}", message_type_name(t), s.error().message);
  std::vector<std::uint8_t> bytes;
  Writer w(bytes);
  std::visit([&](const auto& m) { encode(m, w); }, body);
  if (bytes.size() > kMaxBodyBytes)
    return err("{}: body of {} bytes, at most {}", message_type_name(t), bytes.size(),
               kMaxBodyBytes);
  return seal(header, t, bytes, key);
}

Result<PackedUpdate> encode_update(const Header& header, std::uint64_t data_seq,
                                   std::uint64_t floor, std::span<const Record> records,
                                   const auth::Key& key, std::size_t budget) {
  budget = std::min(budget, kMaxSyncDatagram);
  std::size_t used = kHeaderBytes + kUpdateFixedBytes + kMacBytes;
  std::size_t n = 0;
  while (n < records.size() && n < kMaxRecords && used + record_wire_size(records[n]) <= budget)
    used += record_wire_size(records[n++]);
  if (records.empty()) return err("update: no records to pack");
  if (n == 0)
    return err("update: a budget of {} bytes holds no record (the first needs {})", budget,
               used + record_wire_size(records[0]));
  Update u{data_seq, floor, {records.begin(), records.begin() + static_cast<std::ptrdiff_t>(n)}};
  auto bytes = encode_message(header, Body{std::move(u)}, key);
  if (!bytes) return bytes.error();
  return PackedUpdate{std::move(bytes).value(), n};
}

Decoded<Frame> parse_frame(std::span<const std::uint8_t> msg) {
  if (msg.size() > kMaxSyncDatagram)
    return drop(DropReason::oversized, "{} bytes, at most {}", msg.size(), kMaxSyncDatagram);
  if (msg.size() < kHeaderBytes + kMacBytes)
    return drop(DropReason::truncated, "{} bytes, header and MAC alone are {}", msg.size(),
                kHeaderBytes + kMacBytes);
  if (!std::equal(std::begin(kMagic), std::end(kMagic), msg.begin()))
    return drop(DropReason::bad_magic, "{:02x}{:02x}{:02x}{:02x} is not \"BSYN\"", msg[0], msg[1],
                msg[2], msg[3]);

  Reader r(msg.subspan(4, kHeaderBytes - 4));
  std::uint8_t version = 0;
  std::uint8_t type = 0;
  Header h;
  r.num(version, "version");
  r.num(type, "type");
  r.num(h.flags, "flags");
  r.num(h.sender_id, "sender id");
  r.num(h.recipient_id, "recipient id");
  r.num(h.sender_epoch, "sender epoch");
  r.num(h.sequence, "sequence");
  r.num(h.recipient_epoch, "recipient epoch");
  r.num(h.body_length, "body length");
  if (r.failed()) panic("sync header reader ran short of a length-checked buffer");

  if (version != kVersion)
    return drop(DropReason::bad_version, "version {}, this build speaks {}", version, kVersion);
  if (type == 0 || type > kMaxMessageType)
    return drop(DropReason::unknown_type, "type {} (1..{} defined)", type, kMaxMessageType);
  h.type = static_cast<MessageType>(type);
  if (auto s = check_header(h, h.type); !s)
    return drop(DropReason::bad_header, "{}", s.error().message);
  if (h.body_length > kMaxBodyBytes)
    return drop(DropReason::oversized, "body length {}, at most {}", h.body_length, kMaxBodyBytes);
  std::size_t want = kHeaderBytes + h.body_length + kMacBytes;
  if (msg.size() < want)
    return drop(DropReason::truncated, "{} bytes, header says {} ({} body bytes)", msg.size(),
                want, h.body_length);
  if (msg.size() > want)
    return drop(DropReason::bad_length, "{} bytes, header says {} ({} body bytes)", msg.size(),
                want, h.body_length);
  return Frame{h, msg.first(kHeaderBytes + h.body_length),
               msg.subspan(kHeaderBytes, h.body_length), msg.subspan(kHeaderBytes + h.body_length)};
}

bool frame_authentic(const Frame& f, const auth::Key& key) {
  return auth::hmac_verify(key, f.signed_part, f.mac);
}

Decoded<Body> decode_body(MessageType t, std::span<const std::uint8_t> bytes) {
  auto name = message_type_name(t);
  Body body = empty_body(t);
  Reader r(bytes);
  std::visit([&](auto& m) { decode(r, m); }, body);
  if (r.failed()) return drop(DropReason::malformed_body, "{}: {}", name, r.error());
  if (r.remaining() != 0)
    return drop(DropReason::malformed_body, "{}: {} bytes left over", name, r.remaining());
  if (auto s = validate_body(body); !s)
    return drop(DropReason::malformed_body, "{}: {}", name, s.error().message);
  return body;
}

Decoded<Message> decode_message_unverified(std::span<const std::uint8_t> msg) {
  auto frame = parse_frame(msg);
  if (!frame) return frame.drop();
  auto body = decode_body(frame->header.type, frame->body);
  if (!body) return body.drop();
  return Message{frame->header, std::move(body).value()};
}

Decoded<Message> decode_message(std::span<const std::uint8_t> msg, const auth::Key& key) {
  auto frame = parse_frame(msg);
  if (!frame) return frame.drop();
  if (!frame_authentic(*frame, key))
    return drop(DropReason::bad_mac, "{} from sender {}: HMAC-SHA256 does not match",
                message_type_name(frame->header.type), frame->header.sender_id);
  auto body = decode_body(frame->header.type, frame->body);
  if (!body) return body.drop();
  return Message{frame->header, std::move(body).value()};
}

}  // namespace baton::sync
