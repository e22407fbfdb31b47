// baton_xdp_bench: figures of the XDP fast path (docs/datapath.md, "Benchmarks").
//
//   sudo build/bench/xdp/baton_xdp_bench [--repeat N] [--rounds R] [--no-live] [--json]
//
// 1. ns per packet through BPF_PROG_TEST_RUN for IPv4 TCP, IPv6 UDP and a local-pass packet,
//    beside an empty program and the harness alone, each path proven by its verdict counter.
// 2. packets per second through a veth pair into a member namespace (BPF_F_TEST_XDP_LIVE_FRAMES)
//    with one flow and with many, beside plain kernel forwarding in the same run.
// Timing never fails the run; a path that cannot be proven does.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bpf/datapath.hpp"
#include "core/log.hpp"
#include "live.hpp"
#include "prog_run.hpp"

using namespace baton;

int main(int argc, char** argv) {
  CLI::App app{"baton XDP fast-path benchmarks"};
  std::uint64_t repeat = 10'000'000;
  int rounds = 5;
  bool json = false;
  bool no_live = false;
  double live_seconds = 2.0;
  app.add_option("--repeat", repeat, "iterations per BPF_PROG_TEST_RUN");
  app.add_option("--rounds", rounds, "runs per figure (the median is reported)");
  app.add_option("--live-seconds", live_seconds, "seconds per live-frames run");
  app.add_flag("--no-live", no_live, "skip the veth packets-per-second runs");
  app.add_flag("--json", json, "print JSON");
  CLI11_PARSE(app, argc, argv);
  (void)log::setup("baton_xdp_bench", json ? "error" : "warn");

  if (geteuid() != 0) {
    std::fprintf(stderr, "baton_xdp_bench: needs root (BPF programs, namespaces)\n");
    return 2;
  }
  auto dp = bpf::Datapath::open({fmt::format("/sys/fs/bpf/baton-bench-{}", getpid())});
  if (!dp) {
    std::fprintf(stderr, "baton_xdp_bench: %s\n", dp.error().message.c_str());
    return 1;
  }
  auto figs = bench::run_prog_benchmarks(**dp, repeat, rounds);
  if (!figs) {
    std::fprintf(stderr, "baton_xdp_bench: %s\n", figs.error().message.c_str());
    return 1;
  }
  std::vector<bench::LiveFigure> live;
  if (!no_live) {
    auto l = bench::run_live_benchmarks(live_seconds);
    if (!l) {
      std::fprintf(stderr, "baton_xdp_bench: live: %s\n", l.error().message.c_str());
      return 1;
    }
    live = std::move(l).value();
  }

  if (json) {
    nlohmann::json j;
    for (const auto& f : *figs)
      j["prog_run"].push_back({{"case", f.name}, {"verdict", f.verdict}, {"repeat", f.repeat},
                               {"empty_ns", f.empty_ns}, {"harness_ns", f.harness_ns},
                               {"baton_ns", f.baton_ns},
                               {"baton_minus_harness_ns", f.baton_ns - f.harness_ns},
                               {"verdict_delta", f.verdict_delta},
                               {"best", {{"empty_ns", f.empty_best_ns},
                                         {"harness_ns", f.harness_best_ns},
                                         {"baton_ns", f.baton_best_ns}}}});
    for (const auto& l : live)
      j["live"].push_back({{"case", l.name}, {"flows", l.flows}, {"packets", l.packets},
                           {"seconds", l.seconds}, {"mpps", l.mpps()},
                           {"received", l.received}, {"distributed", l.distributed}});
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  fmt::print("BPF_PROG_TEST_RUN, {} iterations, median of {} runs (ns per packet)\n", repeat, rounds);
  fmt::print("{:<12} {:>8} {:>10} {:>14} {:>10}  {:<26} {}\n", "case", "empty", "harness",
             "harness+baton", "baton", "best round (e/h/h+b)", "path proven");
  for (const auto& f : *figs)
    fmt::print("{:<12} {:>8.1f} {:>10.1f} {:>14.1f} {:>10.1f}  {:<26} {} x{}\n", f.name,
               f.empty_ns, f.harness_ns, f.baton_ns, f.baton_ns - f.harness_ns,
               fmt::format("{:.0f}/{:.0f}/{:.0f}", f.empty_best_ns, f.harness_best_ns,
                           f.baton_best_ns),
               f.verdict, f.verdict_delta);
  if (!live.empty()) {
    fmt::print("\nveth, BPF_F_TEST_XDP_LIVE_FRAMES, one CPU generating\n");
    fmt::print("{:<22} {:>6} {:>11} {:>7} {:>11} {:>12}\n", "case", "flows", "packets", "Mpps",
               "received", "distributed");
    for (const auto& l : live)
      fmt::print("{:<22} {:>6} {:>11} {:>7.2f} {:>11} {:>12}\n", l.name, l.flows, l.packets,
                 l.mpps(), l.received, l.distributed);
  }
  return 0;
}
