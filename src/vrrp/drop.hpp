// Why a received VRRP packet was dropped. Every reason has a stable name so the I/O layer
// can keep one counter per reason and print them ("bad-ttl": 3, ...).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "core/result.hpp"

namespace baton::vrrp {

enum class DropReason : std::uint8_t {
  short_packet,       // "short": fewer bytes than the fixed VRRP header
  bad_version,        // "bad-version": not 2 or 3, v2 over IPv6, or not the configured version
  bad_type,           // "bad-type": type is not 1 (ADVERTISEMENT)
  bad_length,         // "bad-length": length does not match the address count
  bad_addr_count,     // "bad-addr-count": zero addresses
  bad_checksum,       // "bad-checksum": matches no accepted convention
  bad_ttl,            // "bad-ttl": IPv4 TTL / IPv6 hop limit is not 255
  bad_family,         // "bad-family": IP family is not the configured one
  bad_source,         // "bad-source": unspecified, multicast, or (IPv6) not link-local
  bad_destination,    // "bad-destination": neither the VRRP group nor one of our addresses
  wrong_vrid,         // "wrong-vrid": another virtual router on the segment
  zero_interval,      // "zero-interval": advertisement interval 0
  interval_mismatch,  // "interval-mismatch": VRRPv2 interval differs from ours (RFC 3768)
  bad_auth,           // "bad-auth": VRRPv2 authentication type or data differs from ours
  addr_mismatch,      // "addr-mismatch": address list differs and sender is not the owner
  not_ip,             // "not-ip": whole-packet parse: not IPv4/IPv6, bad header, not proto 112
};

inline constexpr std::size_t kDropReasonCount = 16;

// The stable name, e.g. "bad-ttl".
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

// A value or a drop reason: what decoding and validation return.
template <typename T>
class Verdict {
 public:
  Verdict(T value) : value_(std::move(value)), ok_(true) {}  // NOLINT(google-explicit-constructor)
  Verdict(DropReason r) : reason_(r) {}                      // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  // Only meaningful when !ok().
  DropReason reason() const { return reason_; }
  // Only when ok(); aborts otherwise.
  const T& value() const& {
    if (!ok_) check_failed();
    return value_;
  }
  T&& value() && {
    if (!ok_) check_failed();
    return std::move(value_);
  }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

 private:
  [[noreturn]] static void check_failed() {
    baton::panic("vrrp::Verdict::value() on a dropped packet");
  }
  T value_{};
  DropReason reason_ = DropReason::short_packet;
  bool ok_ = false;
};

}  // namespace baton::vrrp

