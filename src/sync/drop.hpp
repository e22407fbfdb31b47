// Why a received sync datagram was dropped. Every reason has a stable name for counters and
// metrics ("bad-mac": 3, ...); docs/hypersync.md, "Sync channel, version 1", lists them. The
// set mirrors the control channel's (control/drop.hpp) so operators read one vocabulary.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/result.hpp"

namespace baton::sync {

enum class DropReason : std::uint8_t {
  oversized,        // "oversized": more bytes than a sync datagram may have
  truncated,        // "truncated": shorter than header and MAC, or than the header's length
  bad_magic,        // "bad-magic": not "BSYN"
  bad_version,      // "bad-version": a version this build does not speak
  unknown_type,     // "unknown-type": message type not defined in this version
  bad_header,       // "bad-header": flags, a zero id or epoch, a zero recipient epoch on a
                    //               type that needs one
  bad_length,       // "bad-length": bytes left over after header, body and MAC
  bad_mac,          // "bad-mac": HMAC-SHA256 does not match (forged, corrupted, other key)
  wrong_recipient,  // "wrong-recipient": addressed to another node
  wrong_session,    // "wrong-session": names another session (epoch) of this receiver
  stale_epoch,      // "stale-epoch": from an older session of the sender
  replayed,         // "replayed": this (epoch, sequence) was already accepted
  too_old,          // "too-old": sequence below the replay window
  sender_limit,     // "sender-limit": too many senders tracked already
  malformed_body,   // "malformed-body": the body does not decode or breaks a limit
};

inline constexpr std::size_t kDropReasonCount = 15;

// The stable name, e.g. "bad-mac".
std::string_view drop_reason_name(DropReason r);
// Inverse of drop_reason_name.
std::optional<DropReason> drop_reason_from_name(std::string_view name);

// One counter per reason, indexed by the enum.
struct DropCounters {
  std::array<std::uint64_t, kDropReasonCount> by_reason{};
  void count(DropReason r) { ++by_reason[static_cast<std::size_t>(r)]; }
  std::uint64_t operator[](DropReason r) const { return by_reason[static_cast<std::size_t>(r)]; }
  std::uint64_t total() const;
};

// A dropped datagram: the reason for counters and a message naming what was wrong, which
// starts with the reason's name ("malformed-body: record 3: family 5, 4 or 6 allowed").
struct Drop {
  DropReason reason;
  std::string message;
};

template <typename... Args>
Drop drop(DropReason r, fmt::format_string<Args...> f, Args&&... args) {
  return Drop{r, fmt::format("{}: {}", drop_reason_name(r),
                             fmt::format(f, std::forward<Args>(args)...))};
}

// A decoded value or a Drop: what the decoders return.
template <typename T>
class [[nodiscard]] Decoded {
 public:
  Decoded(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Decoded(Drop d) : v_(std::move(d)) {}       // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& {
    if (!ok()) fail();
    return std::get<0>(v_);
  }
  T&& value() && {
    if (!ok()) fail();
    return std::get<0>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  const Drop& drop() const {
    if (ok()) panic("sync::Decoded::drop() on a good message");
    return std::get<1>(v_);
  }

 private:
  [[noreturn]] void fail() const {
    std::fprintf(stderr, "baton: fatal: sync::Decoded::value() on a drop: %s\n",
                 std::get<1>(v_).message.c_str());
    std::abort();
  }
  std::variant<T, Drop> v_;
};

}  // namespace baton::sync
