// conntrack_bench: figures of HyperSync's kernel adapter (docs/hypersync-kernel.md).
//
//   sudo build/bench/sync/conntrack_bench [--n 10000,100000] [--rounds 3] [--json]
//
// Runs in a network namespace of its own (unshare), so the host's table is never touched.
// For each N, each round starts from an empty table:
//   batched     Installer::apply(N entries): many CT_NEW per sendmsg
//   acked       batched, but every request asks for an ack (InstallerOptions)
//   single      the same entries, one request and one ack at a time
//   listened    batched again while a Capture on another thread drains the NEW events:
//               installs/s with a listener, events/s received, events lost
// Medians over the rounds are printed. Timing never fails the run; a failed install does.
#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "sync/conntrack/capture.hpp"
#include "sync/conntrack/install.hpp"

using namespace baton;
using namespace baton::sync;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<Conn> entries(std::size_t n) {
  std::vector<Conn> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    Conn& c = out[i];
    c.key.family = 4;
    c.key.proto = 6;
    c.key.orig.src = {10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                      static_cast<std::uint8_t>(i)};
    c.key.orig.dst = {192, 0, 2, 1};
    c.key.orig.sport = static_cast<std::uint16_t>(1024 + i % 60000);
    c.key.orig.dport = 443;
    c.reply.src = c.key.orig.dst;
    c.reply.dst = c.key.orig.src;
    c.reply.sport = c.key.orig.dport;
    c.reply.dport = c.key.orig.sport;
    c.status = (1U << 1) | (1U << 2);  // SEEN_REPLY | ASSURED
    c.timeout_s = 3600;
    c.tcp_state = 3;  // ESTABLISHED
    c.mark = static_cast<std::uint32_t>(i);
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Figure {
  std::size_t n = 0;
  std::vector<double> batched, acked, single, listened, events;
  std::vector<double> lost;
  std::size_t batches = 0;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "conntrack_bench: %s\n", what.c_str());
  std::exit(1);
}

void check(const Result<ct::ApplyStats>& st, std::size_t n, const char* what) {
  if (!st) die(fmt::format("{}: {}", what, st.error().message));
  if (st->created != n) {
    die(fmt::format("{}: created {} of {} ({} failed; first: {})", what, st->created, n,
                    st->failed, st->first_error));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"HyperSync conntrack adapter benchmarks"};
  std::vector<std::size_t> ns{10000, 100000};
  int rounds = 3;
  bool json = false;
  app.add_option("--n", ns, "table sizes")->delimiter(',');
  app.add_option("--rounds", rounds, "runs per figure (the median is reported)");
  app.add_flag("--json", json, "print JSON");
  CLI11_PARSE(app, argc, argv);
  (void)log::setup("conntrack_bench", "error");

  if (geteuid() != 0) {
    std::fprintf(stderr, "conntrack_bench: needs root (network namespace, ctnetlink)\n");
    return 2;
  }
  if (unshare(CLONE_NEWNET) != 0) die(fmt::format("unshare(CLONE_NEWNET): {}", std::strerror(errno)));

  auto ins = ct::Installer::open();
  if (!ins) die(ins.error().message);
  ct::InstallerOptions ack_all;
  ack_all.ack_every_request = true;
  auto ins_acked = ct::Installer::open(ack_all);
  if (!ins_acked) die(ins_acked.error().message);
  std::vector<Figure> figs;
  for (std::size_t n : ns) {
    Figure f;
    f.n = n;
    const std::vector<Conn> conns = entries(n);
    for (int r = 0; r < rounds; ++r) {
      if (auto s = ins->flush(); !s) die(s.error().message);
      auto t0 = Clock::now();
      auto st = ins->apply(conns, {});
      f.batched.push_back(static_cast<double>(n) / seconds_since(t0));
      check(st, n, "batched");
      f.batches = st->batches;

      if (auto s = ins->flush(); !s) die(s.error().message);
      t0 = Clock::now();
      st = ins_acked->apply(conns, {});
      f.acked.push_back(static_cast<double>(n) / seconds_since(t0));
      check(st, n, "acked");

      if (auto s = ins->flush(); !s) die(s.error().message);
      t0 = Clock::now();
      st = ins->create_one_by_one(conns);
      f.single.push_back(static_cast<double>(n) / seconds_since(t0));
      check(st, n, "single");

      if (auto s = ins->flush(); !s) die(s.error().message);
      auto cap = ct::Capture::open();
      if (!cap) die(cap.error().message);
      std::atomic<bool> stop{false};
      std::size_t received = 0;
      Clock::time_point last = Clock::now();
      std::thread reader([&] {
        while (!stop.load() || received < n) {
          pollfd p{cap->fd(), POLLIN, 0};
          if (poll(&p, 1, 200) == 0 && stop.load()) break;
          auto k = cap->drain([&](const ct::Event& e) {
            if (e.kind == ct::EventKind::created) ++received;
          });
          if (!k) die(k.error().message);
          if (*k > 0) last = Clock::now();
        }
      });
      t0 = Clock::now();
      st = ins->apply(conns, {});
      f.listened.push_back(static_cast<double>(n) / seconds_since(t0));
      stop = true;
      reader.join();
      check(st, n, "listened");
      f.events.push_back(static_cast<double>(received) /
                         std::chrono::duration<double>(last - t0).count());
      f.lost.push_back(static_cast<double>(n - std::min(n, received)));
    }
    if (auto s = ins->flush(); !s) die(s.error().message);
    figs.push_back(std::move(f));
  }

  if (json) {
    nlohmann::json j;
    for (const Figure& f : figs) {
      j["install"].push_back({{"n", f.n},
                              {"rounds", rounds},
                              {"batches", f.batches},
                              {"batched_per_s", median(f.batched)},
                              {"batched_ack_every_request_per_s", median(f.acked)},
                              {"single_per_s", median(f.single)},
                              {"batched_with_listener_per_s", median(f.listened)},
                              {"events_per_s", median(f.events)},
                              {"events_lost", median(f.lost)}});
    }
    std::cout << j.dump(2) << "\n";
  } else {
    std::printf("%8s %8s %12s %16s %12s %20s %12s %12s\n", "n", "batches", "batched/s",
                "batched+acks/s", "single/s", "batched+listener/s", "events/s", "events lost");
    for (const Figure& f : figs) {
      std::printf("%8zu %8zu %12.0f %16.0f %12.0f %20.0f %12.0f %12.0f\n", f.n, f.batches,
                  median(f.batched), median(f.acked), median(f.single), median(f.listened),
                  median(f.events), median(f.lost));
    }
    std::printf("(medians of %d rounds; lost = NEW events not received, e.g. dropped by a full "
                "receive buffer)\n", rounds);
  }
  return 0;
}
