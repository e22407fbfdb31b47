#include "prog_run.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bpf/xdp_bench.skel.h"
#include "support/packets.hpp"

namespace baton::bench {
namespace {

constexpr std::uint32_t kIngress = 1;  // lo, configured as an ext uplink
constexpr std::size_t kFrameLen = 64;  // BENCH_FRAME_LEN

struct Case {
  std::string name;
  test::Bytes frame;
  bpf::Verdict verdict;
};

struct Run {
  double ns = 0;            // per iteration, as the kernel reports it
  test::Bytes frame_out;    // the frame as the last iteration left it
};

Result<Run> time_run(int prog_fd, const test::Bytes& frame, std::uint64_t repeat) {
  xdp_md ctx{};
  ctx.data_end = static_cast<std::uint32_t>(frame.size());
  ctx.ingress_ifindex = kIngress;
  Run run;
  run.frame_out.resize(frame.size());
  bpf_test_run_opts o{};
  o.sz = sizeof o;
  o.data_in = frame.data();
  o.data_size_in = static_cast<std::uint32_t>(frame.size());
  o.data_out = run.frame_out.data();
  o.data_size_out = static_cast<std::uint32_t>(run.frame_out.size());
  o.ctx_in = &ctx;
  o.ctx_size_in = sizeof ctx;
  o.repeat = static_cast<int>(repeat);
  if (bpf_prog_test_run_opts(prog_fd, &o) != 0)
    return err("BPF_PROG_TEST_RUN: {}", std::strerror(errno));
  if (o.retval == XDP_ABORTED) return err("the harness aborted (frame or tail call missing)");
  run.ns = static_cast<double>(o.duration);
  return run;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::vector<Case> cases() {
  using test::Frame;
  const auto c4 = test::ip4("198.51.100.7");
  const auto s4 = test::ip4("203.0.113.80");
  const auto c6 = test::ip6("2001:db8:1::7");
  const auto s6 = test::ip6("2001:db8:2::80");
  return {
      {"ipv4-tcp", Frame().eth().ipv4(c4, s4).tcp(40000, 443).pad_to(kFrameLen).bytes(),
       bpf::Verdict::distributed},
      {"ipv6-udp", Frame().eth().ipv6(c6, s6).udp(40000, 443).payload(2).bytes(),
       bpf::Verdict::distributed},
      {"local-pass", Frame().eth().ipv4(c4, test::ip4("192.0.2.10")).tcp(40000, 179)
                         .pad_to(kFrameLen).bytes(),
       bpf::Verdict::passed_local},
  };
}

Status configure(bpf::Datapath& dp) {
  bpf::MapWriter& m = dp.maps();
  if (auto s = m.set_uplink(kIngress, bpf::Side::ext); !s) return s;
  if (auto s = m.set_tx_port(0, kIngress); !s) return s;
  std::vector<dist::MemberSpec> members;
  for (dist::MemberId id = 1; id <= 8; ++id) {
    members.push_back({id, 100});
    const bpf::MemberPort p{{2, 0, 0, 0, 0, static_cast<std::uint8_t>(id)}, {2, 0xff, 0, 0, 0, 0}, 0};
    if (auto s = m.set_member_port(id, bpf::Side::ext, p); !s) return s;
  }
  auto table = dist::Table::build(members, dist::kDefaultBuckets, 1);
  if (!table) return table.error();
  if (auto s = m.apply_table(*table, dist::Mode::general_l4); !s) return s;
  auto local = bpf::IpAddress::parse("192.0.2.10");
  return m.add_local_address(*local);
}

}  // namespace

Result<std::vector<ProgRunFigure>> run_prog_benchmarks(bpf::Datapath& dp, std::uint64_t repeat,
                                                       int rounds) {
  if (auto s = configure(dp); !s) return s.error();
  xdp_bench* skel = xdp_bench__open_and_load();
  if (skel == nullptr) return err("loading the benchmark harness: {}", std::strerror(errno));
  struct Guard {
    xdp_bench* s;
    ~Guard() { xdp_bench__destroy(s); }
  } guard{skel};
  const int empty = bpf_program__fd(skel->progs.empty);
  const int harness = bpf_program__fd(skel->progs.harness);
  const int progs = bpf_map__fd(skel->maps.bench_progs);
  const std::uint32_t zero = 0;

  std::vector<ProgRunFigure> out;
  for (const Case& c : cases()) {
    if (c.frame.size() != kFrameLen) return err("case {}: frame is not {} bytes", c.name, kFrameLen);
    std::memcpy(skel->bss->bench_frame, c.frame.data(), kFrameLen);
    ProgRunFigure fig{c.name, std::string(bpf::verdict_name(c.verdict)), repeat};
    // The frame one run of baton_xdp leaves (counted outside the timed runs' windows).
    auto once = time_run(dp.program_fd(), c.frame, 1);
    if (!once) return once.error();
    std::vector<double> e, h, b;
    for (int r = 0; r < rounds; ++r) {
      auto te = time_run(empty, c.frame, repeat);
      if (!te) return te.error();
      e.push_back(te->ns);
      if (bpf_map_update_elem(progs, &zero, &empty, BPF_ANY) != 0)
        return err("tail call slot: {}", std::strerror(errno));
      auto th = time_run(harness, c.frame, repeat);
      if (!th) return th.error();
      h.push_back(th->ns);
      const int baton = dp.program_fd();
      if (bpf_map_update_elem(progs, &zero, &baton, BPF_ANY) != 0)
        return err("tail call slot: {}", std::strerror(errno));
      auto before = dp.maps().read_counters();
      if (!before) return before.error();
      auto tb = time_run(harness, c.frame, repeat);
      if (!tb) return tb.error();
      auto after = dp.maps().read_counters();
      if (!after) return after.error();
      for (std::size_t v = 0; v < bpf::kVerdicts; ++v) {
        const auto delta = after->verdicts[v].packets - before->verdicts[v].packets;
        const bool expected = static_cast<bpf::Verdict>(v) == c.verdict;
        if (delta != (expected ? repeat : 0))
          return err("case {}: verdict {} rose by {} in {} iterations: the timed runs did not all "
                     "take the {} path", c.name, bpf::verdict_name(static_cast<bpf::Verdict>(v)),
                     delta, repeat, fig.verdict);
        if (expected) fig.verdict_delta = delta;
      }
      // The harness restores only the bytes baton_xdp rewrites. Had it missed one (a TTL, a
      // checksum), the last iteration would have left a frame that differs from one run's.
      if (tb->frame_out != once->frame_out)
        return err("case {}: the frame after {} iterations differs from the frame after one: "
                   "the harness does not restore everything baton_xdp rewrites", c.name, repeat);
      b.push_back(tb->ns);
    }
    fig.empty_ns = median(e);
    fig.harness_ns = median(h);
    fig.baton_ns = median(b);
    fig.empty_best_ns = *std::min_element(e.begin(), e.end());
    fig.harness_best_ns = *std::min_element(h.begin(), h.end());
    fig.baton_best_ns = *std::min_element(b.begin(), b.end());
    out.push_back(fig);
  }
  return out;
}

}  // namespace baton::bench
