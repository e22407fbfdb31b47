#include "vrrp/drop.hpp"

#include <numeric>

namespace baton::vrrp {
namespace {

constexpr std::array<std::string_view, kDropReasonCount> kNames = {
    "short",        "bad-version",     "bad-type",   "bad-length",
    "bad-addr-count", "bad-checksum",  "bad-ttl",    "bad-family",
    "bad-source",   "bad-destination", "wrong-vrid", "zero-interval",
    "interval-mismatch", "bad-auth",   "addr-mismatch", "not-ip",
};
static_assert(static_cast<std::size_t>(DropReason::not_ip) + 1 == kDropReasonCount);

}  // namespace

std::string_view drop_reason_name(DropReason r) { return kNames.at(static_cast<std::size_t>(r)); }

std::optional<DropReason> drop_reason_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<DropReason>(i);
  return std::nullopt;
}

std::uint64_t DropCounters::total() const {
  return std::accumulate(by_reason.begin(), by_reason.end(), std::uint64_t{0});
}

}  // namespace baton::vrrp
