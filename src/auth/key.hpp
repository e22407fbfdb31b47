// Shared secret keys for the three baton channels (DESIGN §7): agent ↔ orchestrator,
// orchestrator ↔ orchestrator and member ↔ member (HyperSync).
//
// A Key is at least 32 bytes of secret material. parse_key() reads the contents of a key
// file, which is either
//   - hex text: only the digits 0-9 a-f A-F (trailing whitespace such as a final newline is
//     ignored), at least 64 digits, an even number of them — e.g. `openssl rand -hex 32`; or
//   - raw bytes: anything else, taken whole, at least 32 bytes — e.g. `head -c 32 /dev/urandom`.
// A file made only of hex digits is always read as hex. Loading the file itself, with its
// ownership and mode checks, is key_file.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace baton::auth {

inline constexpr std::size_t kMinKeyBytes = 32;
inline constexpr std::size_t kMaxKeyFileBytes = 4096;

// Secret bytes, wiped from memory when the Key goes away. Never printed or logged.
class Key {
 public:
  // Takes `bytes` as they are; callers outside tests go through parse_key().
  explicit Key(std::span<const std::uint8_t> bytes);
  Key(const Key& o);
  Key& operator=(const Key& o);
  Key(Key&& o) noexcept;
  Key& operator=(Key&& o) noexcept;
  ~Key();

  std::span<const std::uint8_t> bytes() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }

 private:
  void wipe();
  std::vector<std::uint8_t> bytes_;
};

// Key material from the contents of a key file (format above). The error says what is wrong
// (empty, odd number of hex digits, too short, all zero) without quoting any of the secret.
Result<Key> parse_key(std::span<const std::uint8_t> contents);

}  // namespace baton::auth
