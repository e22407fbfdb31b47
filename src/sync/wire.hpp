// The sync channel, version 1 (docs/hypersync.md, "Sync channel, version 1"): the messages a
// member sends to the members it replicates to and hears from, and their codec.
//
//   header (44 bytes) | body (body_length bytes) | HMAC-SHA256 (32 bytes) over header + body
//
// One message per UDP datagram. The decoders check the frame, then the MAC, then the body, and
// answer every defect with a Drop naming its reason (drop.hpp); gate.hpp adds addressing and
// replay checks. The encoders apply the same limits as the decoders, so baton never sends what
// a peer of the same version drops. decode_message_unverified() skips the MAC and exists for
// fuzzing, tests and tools only: nothing it returns is authenticated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/hmac.hpp"
#include "auth/key.hpp"
#include "core/result.hpp"
#include "sync/conn.hpp"
#include "sync/drop.hpp"

namespace baton::sync {

inline constexpr std::uint8_t kMagic[4] = {'B', 'S', 'Y', 'N'};
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderBytes = 44;
inline constexpr std::size_t kMacBytes = auth::kTagBytes;
// One UDP datagram over IPv4 (65535 - 20 - 8).
inline constexpr std::size_t kMaxSyncDatagram = 65507;
inline constexpr std::size_t kMaxBodyBytes = kMaxSyncDatagram - kHeaderBytes - kMacBytes;
// What encode_update() packs by default: fits a 1500-byte MTU with IPv4/IPv6 and UDP headers
// to spare, so UPDATEs are never fragmented on the sync segment.
inline constexpr std::size_t kDefaultUpdateBudget = 1400;
inline constexpr std::size_t kMaxRecords = 1024;      // records in one UPDATE
inline constexpr std::size_t kMaxAckRanges = 16;      // selective-ack ranges in one ACK
inline constexpr std::size_t kUpdateFixedBytes = 18;  // data_seq, floor, record count
inline constexpr std::uint64_t kUnknownEpoch = 0;     // recipient epoch not known yet

inline constexpr std::string_view kKeyLabel = "baton-sync-v1";
// The sync channel's key, derived from the key file's master key.
auth::Key sync_key(const auth::Key& master);

enum class MessageType : std::uint8_t {
  update = 1,          // stream sender → receiver: connection records
  ack = 2,             // receiver → stream sender
  heartbeat = 3,       // stream sender → receiver when idle
  resync_request = 4,  // receiver → stream sender
};
inline constexpr std::uint8_t kMaxMessageType = 4;

// "update", "ack", "heartbeat", "resync-request"; "unknown" for anything else.
std::string_view message_type_name(MessageType t);

// UPDATE and ACK belong to one session of the recipient and must name it; HEARTBEAT and
// RESYNC_REQUEST may say kUnknownEpoch, because they are how a peer that just started (or
// lost track of us) gets an authenticated answer that tells it our epoch.
constexpr bool recipient_epoch_optional(MessageType t) {
  return t == MessageType::heartbeat || t == MessageType::resync_request;
}

enum class Op : std::uint8_t { upsert = 1, remove = 2 };

// One connection's state at `version` (per connection, grows with every change the sender
// makes to it). A remove carries only conn.key; the rest of conn is not sent.
struct Record {
  Op op = Op::upsert;
  std::uint64_t version = 0;  // not 0
  Conn conn;
  bool operator==(const Record&) const = default;
};

// Bytes one record takes on the wire: 23 (IPv4) or 47 (IPv6) for a remove, 50 or 98 for an
// upsert.
std::size_t record_wire_size(const Record& r);

struct Update {
  std::uint64_t data_seq = 0;  // the stream's message number: dense, from 1 per sender session
  std::uint64_t floor = 0;     // every data_seq below it counts as received (≤ data_seq)
  std::vector<Record> records; // 1 … kMaxRecords
  bool operator==(const Update&) const = default;
};

// data_seqs first … last (inclusive) were received.
struct AckRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  bool operator==(const AckRange&) const = default;
};

struct Ack {
  std::uint64_t cumulative = 0;      // every data_seq ≤ it is received or below a floor
  std::vector<AckRange> received;    // above cumulative + 1, ascending, disjoint, not adjacent
  bool operator==(const Ack&) const = default;
};

// HEARTBEAT flag: the sender of the heartbeat has just started and holds no backups from the
// recipient: please resync (re-send everything you replicate to me).
inline constexpr std::uint8_t kHeartbeatWantResync = 0x01;

struct Heartbeat {
  std::uint64_t next_data_seq = 1;  // the data_seq the next UPDATE will carry (not 0)
  std::uint64_t floor = 1;          // as in UPDATE (≤ next_data_seq)
  std::uint8_t flags = 0;           // kHeartbeatWantResync; other bits rejected
  bool operator==(const Heartbeat&) const = default;
};

struct ResyncRequest {
  bool operator==(const ResyncRequest&) const = default;
};

using Body = std::variant<Update, Ack, Heartbeat, ResyncRequest>;
MessageType type_of(const Body& b);

struct Header {
  MessageType type = MessageType::heartbeat;
  std::uint16_t flags = 0;              // none defined in version 1
  std::uint32_t sender_id = 0;          // the sending agent's node id, not 0
  std::uint32_t recipient_id = 0;       // the receiving agent's node id, not 0
  std::uint64_t sender_epoch = 0;       // the sender's session (auth/replay.hpp), not 0
  std::uint64_t sequence = 0;           // per datagram, for the replay guard
  std::uint64_t recipient_epoch = 0;    // see recipient_epoch_optional()
  std::uint32_t body_length = 0;
  bool operator==(const Header&) const = default;
};

struct Message {
  Header header;
  Body body;
  bool operator==(const Message&) const = default;
};

// What a stream endpoint (peer_sender.hpp, peer_receiver.hpp) wants sent: a body for one peer
// in the session the endpoint knows it by. gate.hpp's Sealer turns it into a datagram.
struct Outgoing {
  std::uint32_t peer_id = 0;
  std::uint64_t peer_epoch = kUnknownEpoch;
  Body body;
  bool operator==(const Outgoing&) const = default;
};

// Every limit of a body: counts, ops, versions, families, IPv4 addresses with zero padding,
// floors, ack ranges, heartbeat flags.
Status validate_body(const Body& b);

// Encodes and signs. The header's type and body_length are taken from `body`; an error if the
// header breaks a rule parse_frame() checks or the body breaks a limit.
Result<std::vector<std::uint8_t>> encode_message(const Header& header, const Body& body,
                                                 const auth::Key& key);

// Packs as many of `records` (from the front) as fit in one UPDATE of at most `budget` bytes
// (header and MAC included; at most kMaxRecords) and says how many it took. An error if none
// fits, `records` is empty, or the header or a packed record is invalid.
struct PackedUpdate {
  std::vector<std::uint8_t> bytes;
  std::size_t records = 0;
};
Result<PackedUpdate> encode_update(const Header& header, std::uint64_t data_seq,
                                   std::uint64_t floor, std::span<const Record> records,
                                   const auth::Key& key,
                                   std::size_t budget = kDefaultUpdateBudget);

// A datagram cut into its parts; the spans point into the parsed input.
struct Frame {
  Header header;
  std::span<const std::uint8_t> signed_part;  // header + body: what the MAC covers
  std::span<const std::uint8_t> body;
  std::span<const std::uint8_t> mac;
};

// Size limits, magic, version, type, flags, ids, epochs and the length field.
Decoded<Frame> parse_frame(std::span<const std::uint8_t> msg);
bool frame_authentic(const Frame& f, const auth::Key& key);
// The body of a message of type `t`: every field present, nothing left over, every limit met.
Decoded<Body> decode_body(MessageType t, std::span<const std::uint8_t> bytes);

Decoded<Message> decode_message(std::span<const std::uint8_t> msg, const auth::Key& key);
Decoded<Message> decode_message_unverified(std::span<const std::uint8_t> msg);

}  // namespace baton::sync
