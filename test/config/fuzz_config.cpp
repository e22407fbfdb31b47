// libFuzzer target: both config parsers take any bytes and return a config or an error with
// a message; they never crash, hang or recurse without bound. Every input goes through both
// parsers, so one corpus (both example files and broken variants) serves both. What they
// accept must satisfy the checks they promise.
#include <cstdint>
#include <set>
#include <string_view>

#include "config/agent.hpp"
#include "config/orchestrator.hpp"

namespace {

using namespace baton::config;

void check_accepted(const OrchestratorConfig& c) {
  if (c.members.empty() || c.key_file.empty() || c.group.empty()) __builtin_trap();
  if (!baton::dist::is_prime(c.distribution.buckets)) __builtin_trap();
  std::set<unsigned> ids;
  std::set<std::string> names;
  for (const auto* list : {&c.members, &c.spares})
    for (const auto& m : *list) {
      if (m.id < 1 || m.id > baton::dist::kMaxMembers || m.weight > baton::dist::kMaxWeight)
        __builtin_trap();
      if (!ids.insert(m.id).second || !names.insert(m.name).second) __builtin_trap();
    }
  for (auto role : {SegmentRole::ext, SegmentRole::int_, SegmentRole::dl_ext, SegmentRole::dl_int})
    if (!c.segment(role)) __builtin_trap();
  for (const auto& s : c.segments) {
    for (const auto& p : s.virtual_ipv4)
      if (p.address.family != Family::ipv4) __builtin_trap();
    for (const auto& p : s.virtual_ipv6)
      if (p.address.family != Family::ipv6) __builtin_trap();
  }
  if (c.vrrp.advert_interval_ms % 10 != 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto o = parse_orchestrator_config(text, "fuzz.yaml");
  if (!o && o.error().message.empty()) __builtin_trap();
  if (o) check_accepted(*o);
  auto a = parse_agent_config(text, "fuzz.yaml");
  if (!a && a.error().message.empty()) __builtin_trap();
  if (a && (a->orchestrators.empty() || a->orchestrators.size() > 2)) __builtin_trap();
  return 0;
}
