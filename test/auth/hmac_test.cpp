#include "auth/hmac.hpp"

#include <gtest/gtest.h>

#include <string>

namespace baton::auth {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string hex(std::span<const std::uint8_t> b) {
  std::string s;
  for (auto c : b) s += fmt::format("{:02x}", c);
  return s;
}

// RFC 4231, test cases 1 and 2.
TEST(AuthHmac, Rfc4231Vectors) {
  Key k1(std::vector<std::uint8_t>(20, 0x0b));
  EXPECT_EQ(hex(hmac_sha256(k1, bytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  Key k2(bytes("Jefe"));
  EXPECT_EQ(hex(hmac_sha256(k2, bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(AuthHmac, VerifyAcceptsOnlyTheRightTag) {
  Key k(std::vector<std::uint8_t>(32, 7));
  std::string msg = "heartbeat";
  Tag t = hmac_sha256(k, bytes(msg));
  EXPECT_TRUE(hmac_verify(k, bytes(msg), t));
  for (std::size_t i = 0; i < t.size() * 8; ++i) {
    Tag bad = t;
    bad[i / 8] = static_cast<std::uint8_t>(bad[i / 8] ^ (1u << (i % 8)));
    EXPECT_FALSE(hmac_verify(k, bytes(msg), bad)) << "bit " << i;
  }
  EXPECT_FALSE(hmac_verify(k, bytes("heartbeaT"), t));
  EXPECT_FALSE(hmac_verify(k, bytes(msg), std::span<const std::uint8_t>(t).first(31)));
  Key other(std::vector<std::uint8_t>(32, 8));
  EXPECT_FALSE(hmac_verify(other, bytes(msg), t));
}

TEST(AuthHmac, EmptyMessage) {
  Key k(std::vector<std::uint8_t>(32, 7));
  Tag t = hmac_sha256(k, {});
  EXPECT_TRUE(hmac_verify(k, {}, t));
}

TEST(AuthHmac, EmptyKeyStillComputes) {
  Key k(std::vector<std::uint8_t>{});  // e.g. a moved-from key: wrong, but no crash
  Key other(std::vector<std::uint8_t>(32, 7));
  EXPECT_FALSE(hmac_verify(other, {}, hmac_sha256(k, {})));
}

TEST(AuthHmac, DerivedKeysDifferPerLabel) {
  Key master(std::vector<std::uint8_t>(32, 9));
  Key a = derive_key(master, "baton-control-v1");
  Key b = derive_key(master, "baton-sync-v1");
  EXPECT_EQ(a.size(), kTagBytes);
  EXPECT_FALSE(std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin()));
  Key a2 = derive_key(master, "baton-control-v1");
  EXPECT_TRUE(std::equal(a.bytes().begin(), a.bytes().end(), a2.bytes().begin()));
  // A tag made with one channel's key does not verify with another's.
  EXPECT_FALSE(hmac_verify(b, bytes("x"), hmac_sha256(a, bytes("x"))));
}

}  // namespace
}  // namespace baton::auth
