// libFuzzer target: parse_link_messages on arbitrary bytes (what a netlink socket returns)
// never crashes or reads out of bounds; what it accepts has names of 1..15 bytes.
#include <cstdint>
#include <cstdlib>

#include "orchestrator/carrier.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = baton::orchestrator::parse_link_messages(std::span<const std::uint8_t>(data, size));
  if (r)
    for (const auto& e : *r)
      if (e.ifname.empty() || e.ifname.size() > 15 || (e.removed && e.carrier)) std::abort();
  return 0;
}
