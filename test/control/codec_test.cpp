#include "control/codec.hpp"

#include <gtest/gtest.h>

#include "samples.hpp"

namespace baton::control {
namespace {

using testing::sample_bodies;
using testing::sealed;
using testing::test_key;

TEST(ControlCodec, RoundTripEveryType) {
  auto bodies = sample_bodies();
  ASSERT_EQ(bodies.size(), kMaxMessageType);
  for (const auto& b : bodies) {
    SCOPED_TRACE(std::string(message_type_name(type_of(b))));
    auto wire = sealed(b, 77);
    auto m = decode_message(wire, test_key());
    ASSERT_TRUE(m.ok()) << m.drop().message;
    Header want = testing::sample_header(type_of(b), 77);
    want.type = type_of(b);
    want.body_length = static_cast<std::uint32_t>(wire.size() - kHeaderBytes - kMacBytes);
    EXPECT_EQ(m->header, want);
    EXPECT_EQ(m->body, b);
    EXPECT_EQ(*encode_message(m->header, m->body, test_key()), wire);
    auto u = decode_message_unverified(wire);
    ASSERT_TRUE(u.ok()) << u.drop().message;
    EXPECT_EQ(u->body, b);
  }
}

// Offsets and byte order as docs/protocols.md gives them.
TEST(ControlCodec, HeaderLayout) {
  Header h;
  h.sender_id = 0x01020304;
  h.recipient_id = 0x0a0b0c0d;
  h.sender_epoch = 0x1112131415161718;
  h.sequence = 0x2122232425262728;
  h.recipient_epoch = 0x3132333435363738;
  auto w = *encode_message(h, Body{TableAck{0x4142434445464748}}, test_key());
  ASSERT_EQ(w.size(), kHeaderBytes + 8 + kMacBytes);
  std::vector<std::uint8_t> head(w.begin(), w.begin() + kHeaderBytes + 8);
  std::vector<std::uint8_t> want = {
      'B', 'C', 'T', 'L', 1, 5, 0, 0,          // magic, version, type table-ack, flags
      0x04, 0x03, 0x02, 0x01,                  // sender id
      0x0d, 0x0c, 0x0b, 0x0a,                  // recipient id
      0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,  // sender epoch
      0x28, 0x27, 0x26, 0x25, 0x24, 0x23, 0x22, 0x21,  // sequence
      0x38, 0x37, 0x36, 0x35, 0x34, 0x33, 0x32, 0x31,  // recipient epoch
      8, 0, 0, 0,                              // body length
      0x48, 0x47, 0x46, 0x45, 0x44, 0x43, 0x42, 0x41,  // body: generation
  };
  EXPECT_EQ(head, want);
  auth::Tag tag = auth::hmac_sha256(test_key(), head);
  EXPECT_TRUE(std::equal(tag.begin(), tag.end(), w.begin() + kHeaderBytes + 8));
}

TEST(ControlCodec, EveryTruncationRejected) {
  for (const auto& b : sample_bodies()) {
    auto wire = sealed(b, 1);
    for (std::size_t n = 0; n < wire.size(); ++n) {
      auto m = decode_message(std::span(wire).first(n), test_key());
      ASSERT_FALSE(m.ok()) << message_type_name(type_of(b)) << " cut to " << n << " bytes";
      EXPECT_EQ(m.drop().reason, DropReason::truncated) << m.drop().message;
    }
  }
}

TEST(ControlCodec, EveryBitFlipRejected) {
  for (const auto& b : sample_bodies()) {
    auto wire = sealed(b, 1);
    for (std::size_t bit = 0; bit < wire.size() * 8; ++bit) {
      auto bad = wire;
      bad[bit / 8] = static_cast<std::uint8_t>(bad[bit / 8] ^ (1u << (bit % 8)));
      auto m = decode_message(bad, test_key());
      ASSERT_FALSE(m.ok()) << message_type_name(type_of(b)) << " bit " << bit;
      std::size_t at = bit / 8;
      DropReason r = m.drop().reason;
      if (at < 4) EXPECT_EQ(r, DropReason::bad_magic);
      else if (at == 4) EXPECT_EQ(r, DropReason::bad_version);
      else if (at == 5) EXPECT_TRUE(r == DropReason::unknown_type || r == DropReason::bad_mac);
      else if (at < 8) EXPECT_EQ(r, DropReason::bad_header);
      else if (at < 12) EXPECT_TRUE(r == DropReason::bad_header || r == DropReason::bad_mac);
      else if (at >= 40 && at < 44)
        EXPECT_TRUE(r == DropReason::truncated || r == DropReason::bad_length ||
                    r == DropReason::oversized) << m.drop().message;
      else EXPECT_EQ(r, DropReason::bad_mac) << "byte " << at << ": " << m.drop().message;
    }
  }
}

TEST(ControlCodec, WrongKeyRejected) {
  auth::Key other(std::vector<std::uint8_t>(32, 0x5a));
  for (const auto& b : sample_bodies()) {
    auto m = decode_message(sealed(b, 1), other);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.drop().reason, DropReason::bad_mac);
    EXPECT_NE(m.drop().message.find("bad-mac: "), std::string::npos) << m.drop().message;
  }
  // The channel key is derived: the master key itself does not verify control messages.
  auth::Key master(std::vector<std::uint8_t>(32, 0x33));
  auto w = *encode_message(testing::sample_header(MessageType::table_ack, 1), Body{TableAck{1}},
                           control_key(master));
  EXPECT_TRUE(decode_message(w, control_key(master)).ok());
  EXPECT_EQ(decode_message(w, master).drop().reason, DropReason::bad_mac);
}

TEST(ControlCodec, UnverifiedDecodeIgnoresTheMac) {
  auto wire = sealed(Body{TableAck{5}}, 1);
  wire.back() ^= 1;
  EXPECT_EQ(decode_message(wire, test_key()).drop().reason, DropReason::bad_mac);
  auto u = decode_message_unverified(wire);
  ASSERT_TRUE(u.ok()) << u.drop().message;
  EXPECT_EQ(std::get<TableAck>(u->body).generation, 5u);
}

TEST(ControlCodec, OversizedRejected) {
  std::vector<std::uint8_t> huge(kMaxMessageBytes + 1, 0);
  auto m = decode_message(huge, test_key());
  EXPECT_EQ(m.drop().reason, DropReason::oversized);
  EXPECT_NE(m.drop().message.find("65508 bytes"), std::string::npos) << m.drop().message;

  // A header claiming a body larger than any message may carry.
  auto wire = sealed(Body{TableAck{5}}, 1);
  std::uint32_t len = kMaxBodyBytes + 1;
  for (int i = 0; i < 4; ++i) wire[40 + i] = static_cast<std::uint8_t>(len >> (8 * i));
  EXPECT_EQ(decode_message(wire, test_key()).drop().reason, DropReason::oversized);
}

TEST(ControlCodec, LengthMismatch) {
  auto wire = sealed(Body{TableAck{5}}, 1);
  wire.push_back(0);
  auto m = decode_message(wire, test_key());
  EXPECT_EQ(m.drop().reason, DropReason::bad_length);
  EXPECT_NE(m.drop().message.find("header says 84 (8 body bytes)"), std::string::npos)
      << m.drop().message;
}

TEST(ControlCodec, HeaderFieldErrorsNameTheField) {
  auto wire = sealed(Body{TableAck{5}}, 1);
  auto with = [&](std::size_t at, std::uint8_t v) {
    auto w = wire;
    w[at] = v;
    return decode_message(w, test_key()).drop();
  };
  EXPECT_EQ(with(0, 'X').message, "bad-magic: 5843544c is not \"BCTL\"");
  EXPECT_EQ(with(4, 2).message, "bad-version: version 2, this build speaks 1");
  EXPECT_EQ(with(5, 0).message, "unknown-type: type 0 (1..13 defined)");
  EXPECT_EQ(with(5, 14).message, "unknown-type: type 14 (1..13 defined)");
  EXPECT_EQ(with(7, 0x80).message, "bad-header: flags 0x8000, none defined");
}

TEST(ControlCodec, ZeroSenderIdOrEpochRejected) {
  auto w = sealed(Body{TableAck{5}}, 1);
  auto zero_id = w;
  std::fill(zero_id.begin() + 8, zero_id.begin() + 12, 0);
  EXPECT_EQ(decode_message(zero_id, test_key()).drop().message, "bad-header: sender id 0");
  auto zero_epoch = w;
  std::fill(zero_epoch.begin() + 16, zero_epoch.begin() + 24, 0);
  EXPECT_EQ(decode_message(zero_epoch, test_key()).drop().message, "bad-header: sender epoch 0");
}

TEST(ControlCodec, EncoderRefusesBadHeaders) {
  Header h = testing::sample_header(MessageType::table_ack, 1);
  Header flags = h;
  flags.flags = 1;
  EXPECT_FALSE(encode_message(flags, Body{TableAck{1}}, test_key()).ok());
  Header no_id = h;
  no_id.sender_id = 0;
  EXPECT_FALSE(encode_message(no_id, Body{TableAck{1}}, test_key()).ok());
  Header no_epoch = h;
  no_epoch.sender_epoch = 0;
  auto r = encode_message(no_epoch, Body{TableAck{1}}, test_key());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "table-ack: sender epoch 0");
}

TEST(ControlDrop, StableNames) {
  const char* names[] = {"oversized",       "truncated",      "bad-magic",   "bad-version",
                         "unknown-type",    "bad-header",     "bad-length",  "bad-mac",
                         "wrong-recipient", "wrong-session",  "stale-epoch", "replayed",
                         "too-old",         "sender-limit",   "malformed-body"};
  ASSERT_EQ(std::size(names), kDropReasonCount);
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    auto r = static_cast<DropReason>(i);
    EXPECT_EQ(drop_reason_name(r), names[i]);
    EXPECT_EQ(drop_reason_from_name(names[i]), r);
  }
  EXPECT_FALSE(drop_reason_from_name("bad-crc").has_value());
}

TEST(ControlDrop, CountersPerReason) {
  DropCounters c;
  c.count(DropReason::bad_mac);
  c.count(DropReason::bad_mac);
  c.count(DropReason::replayed);
  EXPECT_EQ(c[DropReason::bad_mac], 2u);
  EXPECT_EQ(c[DropReason::replayed], 1u);
  EXPECT_EQ(c[DropReason::truncated], 0u);
  EXPECT_EQ(c.total(), 3u);
}

}  // namespace
}  // namespace baton::control
