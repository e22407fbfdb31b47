// The sync codec: layout, round trips, every limit of the encoder, and every drop reason of
// the decoder and the Gate.
#include "sync/wire.hpp"

#include <gtest/gtest.h>

#include "sync/gate.hpp"
#include "samples.hpp"

namespace baton::sync {
namespace {

using namespace testing;
using Bytes = std::vector<std::uint8_t>;

// Recomputes the MAC of a datagram whose header or body a test changed, so the change gets
// past bad-mac and reaches the check under test.
Bytes resign(Bytes b) {
  b.resize(b.size() - kMacBytes);
  auto tag = auth::hmac_sha256(test_key(), b);
  b.insert(b.end(), tag.begin(), tag.end());
  return b;
}

// The datagram with its body replaced (header length patched, MAC recomputed).
Bytes with_body(const Bytes& msg, const Bytes& body) {
  Bytes b(msg.begin(), msg.begin() + kHeaderBytes);
  auto n = static_cast<std::uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) b[40 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  b.insert(b.end(), body.begin(), body.end());
  b.resize(b.size() + kMacBytes);
  return resign(b);
}

Bytes body_of(const Bytes& msg) {
  return Bytes(msg.begin() + kHeaderBytes, msg.end() - static_cast<std::ptrdiff_t>(kMacBytes));
}

void expect_drop(const Bytes& msg, DropReason want, const char* why) {
  auto d = decode_message(msg, test_key());
  ASSERT_FALSE(d.ok()) << why;
  EXPECT_EQ(d.drop().reason, want) << why << ": " << d.drop().message;
  EXPECT_EQ(d.drop().message.rfind(drop_reason_name(want), 0), 0u) << d.drop().message;
}

TEST(SyncWire, EveryTypeRoundTrips) {
  std::uint64_t seq = 100;
  for (const auto& body : sample_bodies()) {
    auto bytes = sealed(body, seq);
    auto m = decode_message(bytes, test_key());
    ASSERT_TRUE(m.ok()) << m.drop().message;
    EXPECT_EQ(m->body, body) << message_type_name(type_of(body));
    EXPECT_EQ(m->header.type, type_of(body));
    EXPECT_EQ(m->header.sequence, seq);
    EXPECT_EQ(m->header.body_length, bytes.size() - kHeaderBytes - kMacBytes);
    ++seq;
  }
}

TEST(SyncWire, HeaderLayoutIsLittleEndianAtDocumentedOffsets) {
  auto b = sealed(Body{Heartbeat{5, 4, 0}}, 0x0102030405060708u);
  ASSERT_EQ(b.size(), kHeaderBytes + 17 + kMacBytes);
  EXPECT_EQ(Bytes(b.begin(), b.begin() + 4), (Bytes{'B', 'S', 'Y', 'N'}));
  EXPECT_EQ(b[4], 1);  // version
  EXPECT_EQ(b[5], 3);  // HEARTBEAT
  EXPECT_EQ(b[6] | b[7], 0);
  EXPECT_EQ(b[8], kSenderId);
  EXPECT_EQ(b[12], kReceiverId);
  EXPECT_EQ(b[24], 0x08);  // sequence, least significant byte first
  EXPECT_EQ(b[31], 0x01);
  EXPECT_EQ(b[40], 17);  // body length
  EXPECT_EQ(b[44], 5);   // next_data_seq
  EXPECT_EQ(b[52], 4);   // floor
  EXPECT_EQ(b[60], 0);   // flags
}

TEST(SyncWire, RecordSizesAreCompact) {
  Record up4{Op::upsert, 1, conn4(1)}, up6{Op::upsert, 1, conn6(1)};
  Record rm4{Op::remove, 1, conn4(1)}, rm6{Op::remove, 1, conn6(1)};
  EXPECT_EQ(record_wire_size(up4), 50u);
  EXPECT_EQ(record_wire_size(up6), 98u);
  EXPECT_EQ(record_wire_size(rm4), 23u);
  EXPECT_EQ(record_wire_size(rm6), 47u);
  for (const auto& r : {up4, up6, rm4, rm6}) {
    auto b = sealed(Body{Update{1, 1, {r}}}, 1);
    EXPECT_EQ(b.size(), kHeaderBytes + kUpdateFixedBytes + record_wire_size(r) + kMacBytes);
  }
}

TEST(SyncWire, RemoveCarriesOnlyTheKey) {
  Record rm{Op::remove, 3, conn4(9)};  // a full Conn: only the key goes out
  auto m = decode_message(sealed(Body{Update{1, 0, {rm}}}, 1), test_key());
  ASSERT_TRUE(m.ok());
  const auto& got = std::get<Update>(m->body).records.at(0);
  EXPECT_EQ(got.conn.key, conn4(9).key);
  EXPECT_EQ(got.conn.reply, Tuple{});
  EXPECT_EQ(got.conn.mark, 0u);
}

TEST(SyncWire, EncoderRefusesBadInput) {
  const auto& key = test_key();
  auto hdr = sample_header(MessageType::update, 1);
  auto refuse = [&](const Header& h, const Body& b, const char* what) {
    auto r = encode_message(h, b, key);
    EXPECT_FALSE(r.ok()) << what;
  };
  Update good{1, 1, {Record{Op::upsert, 1, conn4(1)}}};
  ASSERT_TRUE(encode_message(hdr, Body{good}, key).ok());

  Header h = hdr;
  h.flags = 1;
  refuse(h, Body{good}, "flags");
  h = hdr, h.sender_id = 0;
  refuse(h, Body{good}, "sender id 0");
  h = hdr, h.recipient_id = 0;
  refuse(h, Body{good}, "recipient id 0");
  h = hdr, h.sender_epoch = 0;
  refuse(h, Body{good}, "sender epoch 0");
  h = hdr, h.recipient_epoch = kUnknownEpoch;
  refuse(h, Body{good}, "UPDATE to an unknown session");
  refuse(h, Body{Ack{}}, "ACK to an unknown session");
  EXPECT_TRUE(encode_message(h, Body{Heartbeat{}}, key).ok());
  EXPECT_TRUE(encode_message(h, Body{ResyncRequest{}}, key).ok());

  auto bad = [&](auto mutate, const char* what) {
    Update u = good;
    mutate(u);
    refuse(hdr, Body{u}, what);
  };
  bad([](Update& u) { u.data_seq = 0; }, "data_seq 0");
  bad([](Update& u) { u.floor = 2; }, "floor above data_seq");
  bad([](Update& u) { u.records.clear(); }, "no records");
  bad([](Update& u) { u.records.resize(kMaxRecords + 1, u.records[0]); }, "too many records");
  bad([](Update& u) { u.records[0].version = 0; }, "version 0");
  bad([](Update& u) { u.records[0].op = static_cast<Op>(3); }, "op 3");
  bad([](Update& u) { u.records[0].conn.key.family = 5; }, "family 5");
  bad([](Update& u) { u.records[0].conn.key.orig.dst[7] = 1; }, "IPv4 padding");
  bad([](Update& u) { u.records[0].conn.reply.src[15] = 1; }, "IPv4 reply padding");
  // 1024 IPv6 upserts are within the record count but not within one datagram.
  bad([](Update& u) { u.records.assign(kMaxRecords, Record{Op::upsert, 1, conn6(1)}); },
      "body above the datagram");

  auto ack_hdr = sample_header(MessageType::ack, 1);
  refuse(ack_hdr, Body{Ack{5, {{6, 6}}}}, "range adjacent to cumulative");
  refuse(ack_hdr, Body{Ack{5, {{9, 8}}}}, "range backwards");
  refuse(ack_hdr, Body{Ack{5, {{7, 8}, {9, 9}}}}, "adjacent ranges");
  refuse(ack_hdr, Body{Ack{5, {{9, 9}, {7, 7}}}}, "descending ranges");
  refuse(ack_hdr, Body{Ack{UINT64_MAX - 1, {{UINT64_MAX, UINT64_MAX}}}}, "range past the end");
  Ack many{0, {}};
  for (std::uint64_t i = 0; i <= kMaxAckRanges; ++i) many.received.push_back({2 + 2 * i, 2 + 2 * i});
  refuse(ack_hdr, Body{many}, "17 ranges");
  many.received.pop_back();
  EXPECT_TRUE(encode_message(ack_hdr, Body{many}, key).ok());

  auto hb_hdr = sample_header(MessageType::heartbeat, 1);
  refuse(hb_hdr, Body{Heartbeat{0, 0, 0}}, "next_data_seq 0");
  refuse(hb_hdr, Body{Heartbeat{3, 4, 0}}, "floor above next_data_seq");
  refuse(hb_hdr, Body{Heartbeat{3, 3, 0x02}}, "unknown heartbeat flag");
}

TEST(SyncWire, LargestUpdateFitsOneDatagram) {
  Update u{1, 1, {}};
  for (std::uint32_t i = 0; i < 667; ++i) u.records.push_back({Op::upsert, i + 1, conn6(i)});
  auto b = encode_message(sample_header(MessageType::update, 1), Body{u}, test_key());
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_LE(b->size(), kMaxSyncDatagram);
  auto m = decode_message(*b, test_key());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<Update>(m->body), u);
  u.records.push_back({Op::upsert, 1000, conn6(1000)});
  EXPECT_FALSE(encode_message(sample_header(MessageType::update, 1), Body{u}, test_key()).ok());
}

TEST(SyncWire, EncodeUpdatePacksUpToTheBudget) {
  std::vector<Record> recs;
  for (std::uint32_t i = 0; i < 100; ++i) recs.push_back({Op::upsert, i + 1, conn4(i)});
  auto hdr = sample_header(MessageType::update, 1);
  auto p = encode_update(hdr, 7, 5, recs, test_key());
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->records, (1400u - 94u) / 50u);  // 26 IPv4 upserts
  EXPECT_LE(p->bytes.size(), kDefaultUpdateBudget);
  auto m = decode_message(p->bytes, test_key());
  ASSERT_TRUE(m.ok());
  const auto& u = std::get<Update>(m->body);
  EXPECT_EQ(u.data_seq, 7u);
  EXPECT_EQ(u.floor, 5u);
  EXPECT_EQ(u.records, std::vector<Record>(recs.begin(), recs.begin() + 26));

  // Exactly at the budget: the last record fits with zero bytes to spare.
  std::size_t exact = 94 + 3 * 50;
  auto e = encode_update(hdr, 7, 5, recs, test_key(), exact);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->records, 3u);
  EXPECT_EQ(e->bytes.size(), exact);

  // Removes are small: a whole-datagram budget stops at the record limit.
  std::vector<Record> removes(2000, Record{Op::remove, 1, conn4(1)});
  auto big = encode_update(hdr, 1, 1, removes, test_key(), 1'000'000);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->records, kMaxRecords);

  EXPECT_FALSE(encode_update(hdr, 1, 1, recs, test_key(), 100).ok());
  EXPECT_FALSE(encode_update(hdr, 1, 1, {}, test_key()).ok());
  recs[0].version = 0;
  EXPECT_FALSE(encode_update(hdr, 1, 1, recs, test_key()).ok());
}

TEST(SyncWire, FrameDefectsAreDroppedByName) {
  auto good = sealed(sample_bodies()[0], 1);
  ASSERT_TRUE(decode_message(good, test_key()).ok());

  expect_drop(Bytes(kMaxSyncDatagram + 1, 0), DropReason::oversized, "too big");
  expect_drop(Bytes(good.begin(), good.begin() + 50), DropReason::truncated, "short");
  expect_drop(Bytes(good.begin(), good.end() - 1), DropReason::truncated, "shorter than length");
  auto b = good;
  b[3] = 'L';
  expect_drop(b, DropReason::bad_magic, "magic");
  b = good, b[4] = 2;
  expect_drop(resign(b), DropReason::bad_version, "version 2");
  b = good, b[5] = 0;
  expect_drop(resign(b), DropReason::unknown_type, "type 0");
  b = good, b[5] = 5;
  expect_drop(resign(b), DropReason::unknown_type, "type 5");
  b = good, b[6] = 1;
  expect_drop(resign(b), DropReason::bad_header, "flags");
  b = good, std::fill(b.begin() + 8, b.begin() + 12, 0);
  expect_drop(resign(b), DropReason::bad_header, "sender 0");
  b = good, std::fill(b.begin() + 12, b.begin() + 16, 0);
  expect_drop(resign(b), DropReason::bad_header, "recipient 0");
  b = good, std::fill(b.begin() + 16, b.begin() + 24, 0);
  expect_drop(resign(b), DropReason::bad_header, "sender epoch 0");
  b = good, std::fill(b.begin() + 32, b.begin() + 40, 0);
  expect_drop(resign(b), DropReason::bad_header, "UPDATE with unknown recipient epoch");
  b = good, b[42] = 0xff;
  expect_drop(resign(b), DropReason::oversized, "body length above the limit");
  b = good, b.push_back(0);
  expect_drop(b, DropReason::bad_length, "a byte after the MAC");
  b = good, b[50] ^= 1;
  expect_drop(b, DropReason::bad_mac, "body changed");
  b = good, b.back() ^= 1;
  expect_drop(b, DropReason::bad_mac, "MAC changed");
  auto other = encode_message(sample_header(MessageType::update, 1), sample_bodies()[0],
                              auth::Key(Bytes(32, 7)));
  expect_drop(*other, DropReason::bad_mac, "other key");
  // The same master key on the control channel gives another subkey.
  std::vector<std::uint8_t> master(32);
  for (std::size_t i = 0; i < 32; ++i) master[i] = static_cast<std::uint8_t>(0x50 + i);
  expect_drop(*encode_message(sample_header(MessageType::update, 1), sample_bodies()[0],
                              auth::derive_key(auth::Key(master), "baton-control-v1")),
              DropReason::bad_mac, "control channel key");
}

TEST(SyncWire, MalformedBodiesAreDroppedByName) {
  auto upd = sealed(Body{Update{2, 1, {Record{Op::upsert, 1, conn4(1)}}}}, 1);
  auto body = body_of(upd);
  auto malformed = [&](const Bytes& msg, const char* why) {
    expect_drop(msg, DropReason::malformed_body, why);
  };
  malformed(with_body(upd, Bytes(body.begin(), body.end() - 1)), "record cut short");
  auto b = body;
  b.push_back(0);
  malformed(with_body(upd, b), "byte left over");
  b = body, b[16] = 0;
  malformed(with_body(upd, b), "zero records");
  b = body, b[16] = 0x01, b[17] = 0x04;  // 1025
  malformed(with_body(upd, b), "record count above the limit");
  b = body, b[16] = 2;
  malformed(with_body(upd, b), "count says more records than present");
  b = body, b[18] = 3;
  malformed(with_body(upd, b), "op 3");
  b = body, std::fill(b.begin() + 19, b.begin() + 27, 0);
  malformed(with_body(upd, b), "version 0");
  b = body, b[27] = 5;
  malformed(with_body(upd, b), "family 5");
  b = body, b[0] = 0;
  malformed(with_body(upd, b), "data_seq 0");
  b = body, b[8] = 3;
  malformed(with_body(upd, b), "floor above data_seq");
  auto d = decode_message(with_body(upd, Bytes(body.begin(), body.end() - 1)), test_key());
  EXPECT_NE(d.drop().message.find("record 0"), std::string::npos) << d.drop().message;

  auto ack = sealed(Body{Ack{5, {{7, 8}}}}, 1);
  auto ab = body_of(ack);
  b = ab, b[9] = 6;  // range first = cumulative + 1
  malformed(with_body(ack, b), "range adjacent to cumulative");
  b = ab, b[8] = kMaxAckRanges + 1;
  malformed(with_body(ack, b), "too many ranges");
  malformed(with_body(ack, Bytes(ab.begin(), ab.end() - 3)), "range cut short");

  auto hb = sealed(Body{Heartbeat{3, 2, 0}}, 1);
  auto hbb = body_of(hb);
  b = hbb, b[16] = 0x80;
  malformed(with_body(hb, b), "unknown heartbeat flag");
  malformed(with_body(hb, Bytes(hbb.begin(), hbb.end() - 1)), "heartbeat cut short");

  auto rr = sealed(Body{ResyncRequest{}}, 1);
  malformed(with_body(rr, Bytes{0}), "resync request with a body");
}

TEST(SyncWire, UnverifiedDecodeSkipsOnlyTheMac) {
  auto b = sealed(sample_bodies()[1], 1);
  b.back() ^= 1;
  EXPECT_FALSE(decode_message(b, test_key()).ok());
  auto m = decode_message_unverified(b);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->body, sample_bodies()[1]);
}

TEST(SyncDrop, NamesAreStableAndInvertible) {
  EXPECT_EQ(drop_reason_name(DropReason::bad_mac), "bad-mac");
  EXPECT_EQ(drop_reason_name(DropReason::malformed_body), "malformed-body");
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    auto r = static_cast<DropReason>(i);
    EXPECT_EQ(drop_reason_from_name(drop_reason_name(r)), r);
  }
  EXPECT_FALSE(drop_reason_from_name("nope").has_value());
}

// --- Gate and Sealer ---------------------------------------------------------------------

Gate receiver_gate() { return Gate(test_key(), {kReceiverId, kReceiverEpoch}); }

TEST(SyncGate, AcceptsOnceAndCountsEachDropReason) {
  Gate g = receiver_gate();
  Sealer s(test_key(), kSenderId, kSenderEpoch);
  auto upd = *s.seal({kReceiverId, kReceiverEpoch, sample_bodies()[0]});
  auto r = g.receive(upd);
  ASSERT_TRUE(r.accepted()) << r.drop->message;
  EXPECT_EQ(r.message->header.sender_id, kSenderId);
  EXPECT_EQ(r.message->header.sequence, 1u);
  EXPECT_EQ(s.next_sequence(), 2u);

  auto dropped = [&](const Bytes& b, DropReason want) {
    auto x = g.receive(b);
    EXPECT_FALSE(x.accepted());
    if (x.drop) {
      EXPECT_EQ(x.drop->reason, want) << x.drop->message;
    }
    return x;
  };
  auto again = dropped(upd, DropReason::replayed);
  EXPECT_TRUE(again.authentic_header.has_value());
  auto wrong_node = dropped(*s.seal({kReceiverId + 1, kReceiverEpoch, sample_bodies()[0]}),
                            DropReason::wrong_recipient);
  EXPECT_TRUE(wrong_node.authentic_header.has_value());
  auto old_session = dropped(*s.seal({kReceiverId, kReceiverEpoch - 1, sample_bodies()[0]}),
                             DropReason::wrong_session);
  ASSERT_TRUE(old_session.authentic_header.has_value());
  EXPECT_EQ(old_session.authentic_header->sender_epoch, kSenderEpoch);
  auto forged = *s.seal({kReceiverId, kReceiverEpoch, sample_bodies()[0]});
  forged[60] ^= 1;
  auto f = dropped(forged, DropReason::bad_mac);
  EXPECT_FALSE(f.authentic_header.has_value());
  dropped(Bytes(10, 0), DropReason::truncated);

  Sealer older(test_key(), kSenderId, kSenderEpoch - 5);
  dropped(*older.seal({kReceiverId, kReceiverEpoch, Body{Heartbeat{}}}), DropReason::stale_epoch);
  Sealer far(test_key(), kSenderId, kSenderEpoch, 5000);
  ASSERT_TRUE(g.receive(*far.seal({kReceiverId, kReceiverEpoch, Body{Heartbeat{}}})).accepted());
  dropped(*s.seal({kReceiverId, kReceiverEpoch, Body{Heartbeat{}}}), DropReason::too_old);

  EXPECT_EQ(g.accepted(), 2u);
  EXPECT_EQ(g.drops()[DropReason::replayed], 1u);
  EXPECT_EQ(g.drops()[DropReason::wrong_recipient], 1u);
  EXPECT_EQ(g.drops()[DropReason::wrong_session], 1u);
  EXPECT_EQ(g.drops()[DropReason::bad_mac], 1u);
  EXPECT_EQ(g.drops()[DropReason::truncated], 1u);
  EXPECT_EQ(g.drops()[DropReason::stale_epoch], 1u);
  EXPECT_EQ(g.drops()[DropReason::too_old], 1u);
  EXPECT_EQ(g.drops().total(), 7u);
}

TEST(SyncGate, UnknownRecipientEpochOnlyForHeartbeatAndResyncRequest) {
  Gate g = receiver_gate();
  Sealer s(test_key(), kSenderId, kSenderEpoch);
  EXPECT_TRUE(g.receive(*s.seal({kReceiverId, kUnknownEpoch, Body{Heartbeat{}}})).accepted());
  EXPECT_TRUE(g.receive(*s.seal({kReceiverId, kUnknownEpoch, Body{ResyncRequest{}}})).accepted());
  EXPECT_FALSE(s.seal({kReceiverId, kUnknownEpoch, sample_bodies()[0]}).ok());
  EXPECT_FALSE(s.seal({kReceiverId, kUnknownEpoch, Body{Ack{}}}).ok());
  EXPECT_EQ(s.next_sequence(), 3u);  // refused seals use no sequence number
}

TEST(SyncGate, MalformedBodyChangesNothingButTheCounter) {
  Gate g = receiver_gate();
  auto upd = sealed(sample_bodies()[0], 9);
  auto body = body_of(upd);
  auto bad = with_body(upd, Bytes(body.begin(), body.end() - 1));
  auto r = g.receive(bad);
  ASSERT_FALSE(r.accepted());
  EXPECT_EQ(r.drop->reason, DropReason::malformed_body);
  EXPECT_TRUE(r.authentic_header.has_value());
  EXPECT_EQ(g.guard().senders(), 0u);  // the sequence number is not used up
  EXPECT_TRUE(g.receive(upd).accepted());
}

TEST(SyncGate, SenderLimit) {
  Gate g(test_key(), {kReceiverId, kReceiverEpoch, 1});
  Sealer a(test_key(), 21, kSenderEpoch), b(test_key(), 22, kSenderEpoch);
  EXPECT_TRUE(g.receive(*a.seal({kReceiverId, kReceiverEpoch, Body{Heartbeat{}}})).accepted());
  auto r = g.receive(*b.seal({kReceiverId, kReceiverEpoch, Body{Heartbeat{}}}));
  ASSERT_FALSE(r.accepted());
  EXPECT_EQ(r.drop->reason, DropReason::sender_limit);
}

}  // namespace
}  // namespace baton::sync
