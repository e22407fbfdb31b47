// Packets per second through a veth pair (docs/datapath.md, "Benchmarks"): frames generated
// with BPF_F_TEST_XDP_LIVE_FRAMES on the orchestrator's uplink, distributed by baton_xdp to a
// member namespace, beside the same frames forwarded by the kernel (XDP_PASS, IP forwarding).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace baton::bench {

struct LiveFigure {
  std::string name;
  std::uint32_t flows = 1;
  std::uint64_t packets = 0;   // frames generated
  double seconds = 0;
  std::uint64_t received = 0;  // frames that reached the member's veth
  std::uint64_t distributed = 0;  // baton_xdp's distributed counter rise (baton runs)
  double mpps() const { return seconds > 0 ? static_cast<double>(packets) / seconds / 1e6 : 0; }
};

// Fails if a baton run's frames did not all take the distributed path.
Result<std::vector<LiveFigure>> run_live_benchmarks(double seconds);

}  // namespace baton::bench
