#include "samples.hpp"

#include <netinet/in.h>

namespace baton::sync::testing {

auth::Key test_key() {
  std::vector<std::uint8_t> bytes(32);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(0x50 + i);
  return sync_key(auth::Key(bytes));
}

Conn conn4(std::uint32_t n) {
  Conn c;
  c.key.family = 4;
  c.key.proto = IPPROTO_TCP;
  c.key.orig.src = {10, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                    static_cast<std::uint8_t>(n)};
  c.key.orig.dst = {203, 0, 113, 10};
  c.key.orig.sport = static_cast<std::uint16_t>(10000 + n % 50000);
  c.key.orig.dport = 443;
  c.reply.src = c.key.orig.dst;
  c.reply.dst = {192, 0, 2, 1};  // SNAT
  c.reply.sport = 443;
  c.reply.dport = static_cast<std::uint16_t>(20000 + n % 40000);
  c.status = 0x18e;
  c.timeout_s = 432000;
  c.mark = n;
  c.zone = 0;
  c.tcp_state = 3;  // ESTABLISHED
  return c;
}

Conn conn6(std::uint32_t n) {
  Conn c;
  c.key.family = 6;
  c.key.proto = IPPROTO_UDP;
  c.key.orig.src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  c.key.orig.dst = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53};
  c.key.orig.sport = static_cast<std::uint16_t>(30000 + n % 30000);
  c.key.orig.dport = 53;
  c.reply.src = c.key.orig.dst;
  c.reply.dst = c.key.orig.src;
  c.reply.sport = 53;
  c.reply.dport = c.key.orig.sport;
  c.status = 0x8;
  c.timeout_s = 30;
  c.mark = 7;
  c.zone = 2;
  return c;
}

std::vector<Body> sample_bodies() {
  Record gone{Op::remove, 9, {}};
  gone.conn.key = conn4(3).key;
  return {
      Update{41, 37, {Record{Op::upsert, 7, conn4(1)}, Record{Op::upsert, 8, conn6(2)}, gone}},
      Ack{36, {{38, 39}, {41, 41}}},
      Heartbeat{42, 37, kHeartbeatWantResync},
      ResyncRequest{},
  };
}

Header sample_header(MessageType t, std::uint64_t sequence) {
  bool from_sender = t == MessageType::update || t == MessageType::heartbeat;
  Header h;
  h.type = t;
  h.sender_id = from_sender ? kSenderId : kReceiverId;
  h.recipient_id = from_sender ? kReceiverId : kSenderId;
  h.sender_epoch = from_sender ? kSenderEpoch : kReceiverEpoch;
  h.recipient_epoch = from_sender ? kReceiverEpoch : kSenderEpoch;
  h.sequence = sequence;
  return h;
}

std::vector<std::uint8_t> sealed(const Body& b, std::uint64_t sequence) {
  return encode_message(sample_header(type_of(b), sequence), b, test_key()).value();
}

}  // namespace baton::sync::testing
