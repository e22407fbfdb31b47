#include "sync/drop.hpp"

#include <numeric>

namespace baton::sync {
namespace {

constexpr std::array<std::string_view, kDropReasonCount> kNames = {
    "oversized",       "truncated",     "bad-magic",   "bad-version",    "unknown-type",
    "bad-header",      "bad-length",    "bad-mac",     "wrong-recipient", "wrong-session",
    "stale-epoch",     "replayed",      "too-old",     "sender-limit",   "malformed-body",
};
static_assert(static_cast<std::size_t>(DropReason::malformed_body) + 1 == kDropReasonCount);

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

}  // namespace baton::sync
