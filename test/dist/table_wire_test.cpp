#include "dist/table_wire.hpp"

#include "core/crc32c.hpp"

#include <gtest/gtest.h>

#include <random>

namespace baton::dist {
namespace {

Table sample_table() {
  std::vector<MemberSpec> ms;
  for (MemberId i = 1; i <= 12; ++i) ms.push_back({i, static_cast<std::uint32_t>(i * 10)});
  Table t = *Table::build(ms, 4099, 40);
  t = *t.without(4);
  t = *t.without(9);
  return t;
}

void expect_error(std::span<const std::uint8_t> wire, std::string_view needle) {
  auto r = decode_table(wire);
  ASSERT_FALSE(r.ok()) << "accepted, expected error containing: " << needle;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

// Rewrites the trailing CRC so tests can reach the checks behind it.
void reseal(std::vector<std::uint8_t>& w);

TEST(TableWire, RoundTripBothKinds) {
  Table t = sample_table();
  for (auto kind : {TableWireKind::inputs, TableWireKind::buckets}) {
    auto wire = encode_table(t, kind);
    auto back = decode_table(wire);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(back->same_buckets(t));
    EXPECT_EQ(back->generation(), t.generation());
    EXPECT_EQ(back->base_members(), t.base_members());
    EXPECT_EQ(back->failed(), t.failed());
    EXPECT_EQ(encode_table(*back, kind), wire);
  }
  EXPECT_LT(encode_table(t, TableWireKind::inputs).size(), 100u);
}

TEST(TableWire, RejectsEveryTruncation) {
  auto wire = encode_table(sample_table(), TableWireKind::inputs);
  for (std::size_t n = 0; n < wire.size(); ++n) {
    std::vector<std::uint8_t> cut(wire.begin(), wire.begin() + static_cast<long>(n));
    EXPECT_FALSE(decode_table(cut).ok()) << "length " << n;
  }
}

TEST(TableWire, RejectsEverySingleBitFlip) {
  auto wire = encode_table(sample_table(), TableWireKind::inputs);
  for (std::size_t i = 0; i < wire.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = wire;
      bad[i] = static_cast<std::uint8_t>(bad[i] ^ (1 << bit));
      EXPECT_FALSE(decode_table(bad).ok()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(TableWire, NamesWhatIsWrong) {
  auto wire = encode_table(sample_table(), TableWireKind::inputs);
  expect_error({}, "truncated");
  auto bad = wire;
  bad[0] = 'X';
  expect_error(bad, "bad magic");
  bad = wire;
  bad[4] = 2;
  expect_error(bad, "version 2 not supported");
  bad = wire;
  bad[wire.size() - 1] ^= 1;
  expect_error(bad, "checksum");
  bad = wire;
  bad.push_back(0);
  expect_error(bad, "length mismatch");
  std::vector<std::uint8_t> huge(kTableWireMaxBytes + 1, 0);
  expect_error(huge, "exceeds");

  // Content errors behind a valid checksum: non-prime bucket count, duplicate member,
  // a failed member that is not in the table.
  bad = wire;
  bad[16] = 0x00; bad[17] = 0x10; bad[18] = 0; bad[19] = 0;  // 4096 buckets
  reseal(bad);
  expect_error(bad, "not a prime");
  bad = wire;
  bad[30] = bad[26];  // second member id := first member id (body starts at 24: count, then id/weight pairs)
  bad[31] = bad[27];
  reseal(bad);
  expect_error(bad, "listed twice");
}

TEST(TableWire, BucketsKindMustMatchTheRebuild) {
  auto wire = encode_table(sample_table(), TableWireKind::buckets);
  // Swap the owners of two buckets with different owners, keep the checksum valid.
  Table t = sample_table();
  std::size_t body = 24 + 2 + 12 * 4 + 2 + 2 * 2;
  std::uint32_t b2 = 1;
  while (t.owner(b2) == t.owner(0)) ++b2;
  std::swap(wire[body], wire[body + 2 * b2]);
  std::swap(wire[body + 1], wire[body + 2 * b2 + 1]);
  reseal(wire);
  expect_error(wire, "differs from the rebuilt owner");
}

void reseal(std::vector<std::uint8_t>& w) {
  std::vector<std::uint8_t> head(w.begin(), w.end() - 4);
  std::uint32_t c = crc32c(head);
  for (int i = 0; i < 4; ++i) w[w.size() - 4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(c >> (8 * i));
}

}  // namespace
}  // namespace baton::dist
