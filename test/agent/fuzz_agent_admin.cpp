// libFuzzer target for the admin.json parser (agent/admin_store.hpp): any bytes must give a
// value or an error, never a crash; what parses must survive a write/read round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/admin_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = baton::agent::parse_admin_json(text);
  if (r && r->has_value()) {
    auto again = baton::agent::parse_admin_json(baton::agent::admin_to_json(**r));
    if (!again || !again->has_value() || **again != **r) std::abort();
  }
  return 0;
}
