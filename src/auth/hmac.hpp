// HMAC-SHA256 (OpenSSL) over a message, verified in constant time, and per-channel subkeys.
//
// Each channel MACs with its own subkey, derive_key(master, label) = HMAC-SHA256(master,
// label), so a message that is valid on one channel is never valid on another even when the
// operator gives all channels the same key file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "auth/key.hpp"

namespace baton::auth {

inline constexpr std::size_t kTagBytes = 32;
using Tag = std::array<std::uint8_t, kTagBytes>;

// HMAC-SHA256 of `data` under `key`.
Tag hmac_sha256(const Key& key, std::span<const std::uint8_t> data);

// True if `tag` is the HMAC-SHA256 of `data` under `key`. The comparison takes the same time
// wherever the first difference is (CRYPTO_memcmp). A tag of the wrong length is false.
bool hmac_verify(const Key& key, std::span<const std::uint8_t> data,
                 std::span<const std::uint8_t> tag);

// The subkey for one channel, e.g. derive_key(master, "baton-control-v1").
Key derive_key(const Key& master, std::string_view label);

}  // namespace baton::auth
