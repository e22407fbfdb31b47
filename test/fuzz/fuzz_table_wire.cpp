// libFuzzer target: the table wire decoder rejects anything malformed with an error and never
// crashes; whatever it accepts re-encodes to the same bytes.
#include <cstdint>

#include "dist/table_wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto t = baton::dist::decode_table({data, size});
  if (!t) {
    if (t.error().message.empty()) __builtin_trap();
    return 0;
  }
  auto kind = size > 5 && data[5] == 2 ? baton::dist::TableWireKind::buckets
                                       : baton::dist::TableWireKind::inputs;
  auto again = baton::dist::encode_table(*t, kind);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
  return 0;
}
