#include "auth/key.hpp"

#include <gtest/gtest.h>

#include <string>

namespace baton::auth {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void expect_error(const std::string& contents, std::string_view needle) {
  auto k = parse_key(bytes(contents));
  ASSERT_FALSE(k.ok()) << "accepted, expected: " << needle;
  EXPECT_NE(k.error().message.find(needle), std::string::npos) << k.error().message;
}

const std::string kHex64 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

TEST(AuthKey, HexWithTrailingNewline) {
  auto k = parse_key(bytes(kHex64 + "\n"));
  ASSERT_TRUE(k.ok()) << k.error().message;
  ASSERT_EQ(k->size(), 32u);
  for (std::size_t i = 0; i < 32; ++i) EXPECT_EQ(k->bytes()[i], i);
}

TEST(AuthKey, HexUpperCase) {
  std::string up = kHex64;
  for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto k = parse_key(bytes(up));
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->bytes()[31], 0x1f);
}

TEST(AuthKey, RawBytesTakenWhole) {
  std::string raw(40, '\0');
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(0x80 + i);
  raw.back() = '\n';  // not stripped: raw files are taken whole
  auto k = parse_key(bytes(raw));
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->size(), 40u);
  EXPECT_EQ(k->bytes()[39], '\n');
}

TEST(AuthKey, Rejections) {
  expect_error("", "empty");
  expect_error(kHex64.substr(0, 62) + "\n", "too short: 31 bytes of key material (hex)");
  expect_error(kHex64 + "a", "odd number of hex digits (65)");
  expect_error(std::string(31, 'z'), "too short: 31 bytes of key material (raw)");
  expect_error(std::string(64, '0'), "all zero");
  expect_error(std::string(kMaxKeyFileBytes + 1, 'z'), "too long");
}

TEST(AuthKey, ErrorsDoNotQuoteTheKey) {
  std::string secret = "zzzzSECRETzzzz";
  auto k = parse_key(bytes(secret));
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message.find("SECRET"), std::string::npos) << k.error().message;
}

TEST(AuthKey, CopyAndMoveKeepBytes) {
  auto k = parse_key(bytes(kHex64));
  ASSERT_TRUE(k.ok());
  Key a = *k;
  Key b = std::move(a);
  EXPECT_EQ(b.size(), 32u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from keys are empty
  a = b;
  EXPECT_TRUE(std::equal(a.bytes().begin(), a.bytes().end(), k->bytes().begin()));
}

}  // namespace
}  // namespace baton::auth
