#include "live.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <chrono>
#include <cerrno>
#include <cstring>
#include <thread>

#include "bpf/datapath.hpp"
#include "bpf/xdp_bench.skel.h"
#include "netns.hpp"
#include "support/packets.hpp"

namespace baton::bench {
namespace {

// Topology: ns "snd" (up1) ── (up0) ns "orch" (dl0) ── (m0) ns "mem".
// up0 is the uplink, dl0 the downlink; 203.0.113.80 lives behind m0.
constexpr const char* kUplinkMac = "02:ba:70:00:00:01";
constexpr const char* kDownlinkMac = "02:ba:70:00:00:02";
constexpr const char* kMemberMac = "02:ba:70:00:00:03";
constexpr std::size_t kFrameLen = 64;

Status setup_lab(testing::Lab& lab) {
  for (const char* n : {"snd", "orch", "mem"})
    if (auto s = lab.add_netns(n); !s) return s;
  if (auto s = lab.add_veth("snd", "up1", "orch", "up0"); !s) return s;
  if (auto s = lab.add_veth("orch", "dl0", "mem", "m0"); !s) return s;
  if (auto s = lab.must("orch", fmt::format(
          "ip link set up0 address {} && ip link set dl0 address {} && "
          "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 "
          "net.ipv4.conf.up0.rp_filter=0 && ip addr add 10.200.0.1/24 dev up0 && "
          "ip addr add 10.201.0.1/24 dev dl0 && ip route add 203.0.113.0/24 via 10.201.0.2 && "
          "ip neigh replace 10.201.0.2 lladdr {} dev dl0 nud permanent",
          kUplinkMac, kDownlinkMac, kMemberMac));
      !s)
    return s;
  return lab.must("mem", fmt::format("ip link set m0 address {}", kMemberMac));
}

std::uint64_t sum_received(int fd) {
  const int cpus = libbpf_num_possible_cpus();
  std::vector<std::uint64_t> v(static_cast<std::size_t>(cpus > 0 ? cpus : 1));
  const std::uint32_t zero = 0;
  if (bpf_map_lookup_elem(fd, &zero, v.data()) != 0) return 0;
  std::uint64_t n = 0;
  for (auto x : v) n += x;
  return n;
}

}  // namespace

Result<std::vector<LiveFigure>> run_live_benchmarks(double seconds) {
  auto lab_r = testing::Lab::create();
  if (!lab_r) return lab_r.error();
  testing::Lab lab = std::move(lab_r).value();
  if (auto s = setup_lab(lab); !s) return s.error();

  auto dp_r = bpf::Datapath::open({fmt::format("/sys/fs/bpf/baton-bench-live-{}", getpid())});
  if (!dp_r) return dp_r.error();
  std::unique_ptr<bpf::Datapath> dp = std::move(dp_r).value();
  xdp_bench* skel = xdp_bench__open_and_load();
  if (skel == nullptr) return err("loading the benchmark harness: {}", std::strerror(errno));
  struct Guard {
    xdp_bench* s;
    ~Guard() { xdp_bench__destroy(s); }
  } guard{skel};

  Status failed;
  // The member counts and drops what reaches it.
  if (auto s = lab.in_netns("mem", [&] {
        const auto m0 = if_nametoindex("m0");
        if (bpf_xdp_attach(static_cast<int>(m0), bpf_program__fd(skel->progs.count_drop),
                           XDP_FLAGS_DRV_MODE, nullptr) != 0)
          failed = err("attaching the counter to m0: {}", std::strerror(errno));
      });
      !s)
    return s.error();
  if (!failed) return failed.error();

  const auto c4 = test::ip4("198.51.100.7");
  const auto s4 = test::ip4("203.0.113.80");
  auto up_mac = bpf::parse_mac(kUplinkMac);
  const test::Bytes frame = test::Frame()
                                .eth(*up_mac, {2, 0, 0, 0, 0, 9})
                                .ipv4(c4, s4)
                                .tcp(40000, 443)
                                .pad_to(kFrameLen)
                                .bytes();
  std::vector<LiveFigure> out;
  const std::uint32_t zero = 0;
  if (auto s = lab.in_netns("orch", [&] {
        const auto up0 = if_nametoindex("up0");
        const auto dl0 = if_nametoindex("dl0");
        bpf::MapWriter& m = dp->maps();
        std::vector<dist::MemberSpec> members;
        for (dist::MemberId id = 1; id <= 4; ++id) {
          members.push_back({id, 100});
          if (auto st = m.set_member_port(id, bpf::Side::ext,
                                          {*bpf::parse_mac(kMemberMac), *bpf::parse_mac(kDownlinkMac), 0});
              !st) {
            failed = st;
            return;
          }
        }
        auto table = dist::Table::build(members, dist::kDefaultBuckets, 1);
        for (Status st : {m.set_uplink(up0, bpf::Side::ext), m.set_tx_port(0, dl0),
                          m.apply_table(*table, dist::Mode::general_l4)})
          if (!st) {
            failed = st;
            return;
          }
        const int progs = bpf_map__fd(skel->maps.bench_progs);
        const int received = bpf_map__fd(skel->maps.bench_received);
        struct Run {
          const char* name;
          int target;
          std::uint32_t flows;
        };
        const Run runs[] = {{"baton-xdp-redirect", dp->program_fd(), 1},
                            {"kernel-forwarding", bpf_program__fd(skel->progs.empty), 1},
                            {"baton-xdp-redirect", dp->program_fd(), 1024},
                            {"kernel-forwarding", bpf_program__fd(skel->progs.empty), 1024}};
        for (const Run& r : runs) {
          std::memcpy(skel->bss->bench_frame, frame.data(), kFrameLen);
          skel->bss->bench_sport_off = 14 + 20;
          skel->bss->bench_flows = r.flows;
          const int harness = bpf_program__fd(r.flows > 1 ? skel->progs.harness_flows
                                                          : skel->progs.harness);
          bpf_map_update_elem(progs, &zero, &r.target, BPF_ANY);
          // Calibrate: a short run gives the rate, the measured run lasts about `seconds`.
          std::uint64_t repeat = 200000;
          LiveFigure fig{r.name, r.flows};
          for (int pass = 0; pass < 2; ++pass) {
            xdp_md ctx{};
            ctx.data_end = static_cast<std::uint32_t>(frame.size());
            ctx.ingress_ifindex = up0;
            bpf_test_run_opts o{};
            o.sz = sizeof o;
            o.data_in = frame.data();
            o.data_size_in = static_cast<std::uint32_t>(frame.size());
            o.ctx_in = &ctx;
            o.ctx_size_in = sizeof ctx;
            o.repeat = static_cast<int>(repeat);
            o.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
            o.batch_size = 64;
            const std::uint64_t before = sum_received(received);
            auto counted_before = dp->maps().read_counters();
            const auto t0 = std::chrono::steady_clock::now();
            if (bpf_prog_test_run_opts(harness, &o) != 0) {
              failed = err("live test run ({}): {}", r.name, std::strerror(errno));
              return;
            }
            const double secs =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the veth drain
            fig.packets = repeat;
            fig.seconds = secs;
            fig.received = sum_received(received) - before;
            auto counted_after = dp->maps().read_counters();
            if (!counted_before || !counted_after) {
              failed = err("reading counters");
              return;
            }
            fig.distributed = counted_after->verdict(bpf::Verdict::distributed).packets -
                              counted_before->verdict(bpf::Verdict::distributed).packets;
            if (r.target == dp->program_fd() && fig.distributed != repeat) {
              failed = err("{}: {} of {} frames took the distributed path", r.name,
                           fig.distributed, repeat);
              return;
            }
            repeat = static_cast<std::uint64_t>(static_cast<double>(repeat) / secs * seconds);
            if (repeat > 2'000'000'000ull) repeat = 2'000'000'000ull;
          }
          out.push_back(fig);
        }
      });
      !s)
    return s.error();
  if (!failed) return failed.error();
  return out;
}

}  // namespace baton::bench
