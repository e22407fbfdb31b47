// Choosing a session epoch at start (see replay.hpp): it must be non-zero and greater than any
// epoch this sender used before, or receivers drop everything it sends as stale-epoch.
//
// next_epoch() takes both the last epoch the sender persisted (0 if none) and the wall clock
// in nanoseconds since 1970, and returns the larger of (persisted + 1) and the clock. The
// clock alone keeps epochs growing across restarts without any state on disk; the persisted
// value keeps them growing when the clock steps back. The daemon persists what it returns
// before sending anything. The clock is an argument: nothing here reads it.
#pragma once

#include <algorithm>
#include <cstdint>

namespace baton::auth {

constexpr std::uint64_t next_epoch(std::uint64_t last_persisted, std::uint64_t realtime_ns) {
  std::uint64_t after = last_persisted == UINT64_MAX ? UINT64_MAX : last_persisted + 1;
  return std::max({after, realtime_ns, std::uint64_t{1}});
}

}  // namespace baton::auth
