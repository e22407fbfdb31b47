// libFuzzer target: the shared frame parser never reads past the frame and, when it accepts
// a frame, gives the same hash for the frame and its mirror image in both modes.
#include <cstdint>
#include <cstring>
#include <vector>

#include "dist/flow.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Copy into an exactly-sized heap buffer so ASan sees any read past the end.
  std::vector<std::uint8_t> frame(data, data + size);
  baton::dist::Packet p{};
  int rc = baton::dist::parse_frame_raw(frame, p);
  if (rc < 0 || rc >= BATON_PARSE_RESULT_COUNT) __builtin_trap();
  if (rc != BATON_PARSE_OK) return 0;
  for (auto mode : {baton::dist::Mode::general, baton::dist::Mode::general_l4}) {
    baton::dist::Packet r = p;
    std::memcpy(r.src, p.dst, sizeof r.src);
    std::memcpy(r.dst, p.src, sizeof r.dst);
    r.sport = p.dport;
    r.dport = p.sport;
    if (baton::dist::flow_hash(p, mode) != baton::dist::flow_hash(r, mode)) __builtin_trap();
  }
  return 0;
}
