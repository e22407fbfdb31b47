// ns per packet through BPF_PROG_TEST_RUN (docs/datapath.md, "Benchmarks"): each case is run
// as `empty`, as harness → empty, and as harness → baton_xdp in the same process, and the
// baton_xdp run is accepted only if its verdict counter rose by exactly the repeat count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bpf/datapath.hpp"
#include "core/result.hpp"

namespace baton::bench {

struct ProgRunFigure {
  std::string name;
  std::string verdict;        // the path every iteration must take
  std::uint64_t repeat = 0;
  // Medians over the rounds, and the best (lowest) round: on a shared machine the best round
  // is the one least disturbed by other load.
  double empty_ns = 0;        // empty XDP program
  double harness_ns = 0;      // harness restoring the frame, tail call into empty
  double baton_ns = 0;        // harness, tail call into baton_xdp
  double empty_best_ns = 0;
  double harness_best_ns = 0;
  double baton_best_ns = 0;
  std::uint64_t verdict_delta = 0;  // counter rise in the last baton run (must equal repeat)
};

// Runs every case `rounds` times with `repeat` iterations and keeps the median of each figure.
Result<std::vector<ProgRunFigure>> run_prog_benchmarks(bpf::Datapath& dp, std::uint64_t repeat,
                                                       int rounds);

}  // namespace baton::bench
