#include "auth/key.hpp"

#include <algorithm>

#include <openssl/crypto.h>

namespace baton::auth {
namespace {

bool is_space(std::uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int hex_value(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<Key> checked(std::vector<std::uint8_t> material, const char* form) {
  if (material.size() < kMinKeyBytes) {
    auto n = material.size();
    OPENSSL_cleanse(material.data(), material.size());
    return err("too short: {} bytes of key material ({}), at least {} needed ({} hex digits or "
               "{} raw bytes)", n, form, kMinKeyBytes, 2 * kMinKeyBytes, kMinKeyBytes);
  }
  bool all_zero = std::all_of(material.begin(), material.end(), [](std::uint8_t b) { return b == 0; });
  if (all_zero) return err("key material ({}) is all zero bytes", form);
  Key k(material);
  OPENSSL_cleanse(material.data(), material.size());
  return k;
}

}  // namespace

Key::Key(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
Key::Key(const Key& o) : bytes_(o.bytes_) {}
Key& Key::operator=(const Key& o) {
  if (this != &o) {
    wipe();
    bytes_ = o.bytes_;
  }
  return *this;
}
Key::Key(Key&& o) noexcept : bytes_(std::move(o.bytes_)) { o.bytes_.clear(); }
Key& Key::operator=(Key&& o) noexcept {
  if (this != &o) {
    wipe();
    bytes_ = std::move(o.bytes_);
    o.bytes_.clear();
  }
  return *this;
}
Key::~Key() { wipe(); }

void Key::wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

Result<Key> parse_key(std::span<const std::uint8_t> contents) {
  if (contents.empty()) return err("empty: no key material");
  if (contents.size() > kMaxKeyFileBytes)
    return err("too long: {} bytes, a key file holds at most {}", contents.size(), kMaxKeyFileBytes);
  std::size_t end = contents.size();
  while (end > 0 && is_space(contents[end - 1])) --end;
  auto text = contents.first(end);
  bool hex = !text.empty() &&
             std::all_of(text.begin(), text.end(), [](std::uint8_t c) { return hex_value(c) >= 0; });
  if (!hex) return checked({contents.begin(), contents.end()}, "raw");
  if (text.size() % 2 != 0) return err("odd number of hex digits ({})", text.size());
  std::vector<std::uint8_t> material(text.size() / 2);
  for (std::size_t i = 0; i < material.size(); ++i)
    material[i] = static_cast<std::uint8_t>(hex_value(text[2 * i]) << 4 | hex_value(text[2 * i + 1]));
  return checked(std::move(material), "hex");
}

}  // namespace baton::auth
