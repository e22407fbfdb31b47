#include "auth/hmac.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/result.hpp"

namespace baton::auth {

Tag hmac_sha256(const Key& key, std::span<const std::uint8_t> data) {
  Tag tag{};
  unsigned int len = 0;
  // An empty span (or a moved-from key) may have a null data(); HMAC() wants valid pointers.
  static const std::uint8_t kEmpty = 0;
  const std::uint8_t* p = data.empty() ? &kEmpty : data.data();
  const std::uint8_t* k = key.size() == 0 ? &kEmpty : key.bytes().data();
  if (HMAC(EVP_sha256(), k, static_cast<int>(key.size()), p, data.size(), tag.data(), &len) ==
          nullptr ||
      len != kTagBytes)
    panic("HMAC-SHA256 failed inside OpenSSL");
  return tag;
}

bool hmac_verify(const Key& key, std::span<const std::uint8_t> data,
                 std::span<const std::uint8_t> tag) {
  if (tag.size() != kTagBytes) return false;
  Tag expected = hmac_sha256(key, data);
  bool same = CRYPTO_memcmp(expected.data(), tag.data(), kTagBytes) == 0;
  OPENSSL_cleanse(expected.data(), expected.size());
  return same;
}

Key derive_key(const Key& master, std::string_view label) {
  Tag sub = hmac_sha256(master, {reinterpret_cast<const std::uint8_t*>(label.data()), label.size()});
  Key k(sub);
  OPENSSL_cleanse(sub.data(), sub.size());
  return k;
}

}  // namespace baton::auth
