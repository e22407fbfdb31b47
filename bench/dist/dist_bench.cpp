// Distribution core benchmarks (issue 2): parse + hash of a frame, table build for N members,
// the failure patch, successor computation, lookup. Figures are printed, never asserted.
//   build/bench/dist/dist_bench [--benchmark_format=json]
#include <benchmark/benchmark.h>

#include <array>
#include <random>
#include <vector>

#include "dist/flow.hpp"
#include "dist/table.hpp"

namespace {

using namespace baton::dist;

std::vector<MemberSpec> members(int n) {
  std::vector<MemberSpec> out;
  for (int i = 0; i < n; ++i) out.push_back({static_cast<MemberId>(i + 1), 100});
  return out;
}

// A batch of distinct Ethernet/IPv4/TCP frames (or IPv6/UDP), built by hand here so the
// benchmark has no dependency on the test support library.
std::vector<std::array<std::uint8_t, 78>> frames(bool v6, std::size_t n) {
  std::mt19937 rng(1);
  std::vector<std::array<std::uint8_t, 78>> out(n);
  for (auto& f : out) {
    f.fill(0);
    f[12] = v6 ? 0x86 : 0x08;
    f[13] = v6 ? 0xDD : 0x00;
    std::uint8_t* ip = f.data() + 14;
    if (!v6) {
      ip[0] = 0x45;
      ip[3] = 40;  // total length 40: 20 IP + 20 TCP
      ip[8] = 64;
      ip[9] = 6;
      for (int i = 12; i < 20; ++i) ip[i] = static_cast<std::uint8_t>(rng());
      std::uint8_t* tcp = ip + 20;
      for (int i = 0; i < 4; ++i) tcp[i] = static_cast<std::uint8_t>(rng());
      tcp[12] = 0x50;
    } else {
      ip[0] = 0x60;
      ip[5] = 8;  // payload: 8 UDP
      ip[6] = 17;
      ip[7] = 64;
      for (int i = 8; i < 40; ++i) ip[i] = static_cast<std::uint8_t>(rng());
      std::uint8_t* udp = ip + 40;
      for (int i = 0; i < 4; ++i) udp[i] = static_cast<std::uint8_t>(rng());
      udp[5] = 8;
    }
  }
  return out;
}

void parse_hash_lookup(benchmark::State& state, bool v6) {
  auto fs = frames(v6, 1024);
  auto table = *Table::build(members(64));
  auto buckets = table.buckets();
  std::size_t i = 0;
  for (auto _ : state) {
    auto& f = fs[i++ & 1023];
    Packet p;
    int rc = baton_parse(f.data(), f.data() + (v6 ? 62 : 54), &p);
    std::uint32_t h = baton_flow_hash(&p, BATON_MODE_GENERAL_L4, kDefaultSeed);
    MemberId m = buckets[bucket_of(h, table.size())];
    benchmark::DoNotOptimize(rc);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ParseHashLookup_IPv4_TCP(benchmark::State& s) { parse_hash_lookup(s, false); }
void BM_ParseHashLookup_IPv6_UDP(benchmark::State& s) { parse_hash_lookup(s, true); }
BENCHMARK(BM_ParseHashLookup_IPv4_TCP);
BENCHMARK(BM_ParseHashLookup_IPv6_UDP);

void BM_HashParsed_IPv4(benchmark::State& state) {
  auto fs = frames(false, 1024);
  std::vector<Packet> ps(fs.size());
  for (std::size_t k = 0; k < fs.size(); ++k) baton_parse(fs[k].data(), fs[k].data() + 54, &ps[k]);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(flow_hash(ps[i++ & 1023], Mode::general_l4));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HashParsed_IPv4);

void BM_Lookup(benchmark::State& state) {
  auto table = *Table::build(members(64));
  auto buckets = table.buckets();
  std::mt19937 rng(3);
  std::vector<std::uint32_t> hs(4096);
  for (auto& h : hs) h = static_cast<std::uint32_t>(rng());
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(buckets[bucket_of(hs[i++ & 4095], table.size())]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Lookup);

void BM_TableBuild(benchmark::State& state) {
  auto ms = members(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto t = Table::build(ms, kDefaultBuckets);
    benchmark::DoNotOptimize(t);
  }
  state.SetLabel("M=65537");
}
BENCHMARK(BM_TableBuild)->Arg(8)->Arg(64)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_FailurePatch(benchmark::State& state) {
  auto t = *Table::build(members(static_cast<int>(state.range(0))), kDefaultBuckets);
  for (auto _ : state) {
    auto p = t.without(1);
    benchmark::DoNotOptimize(p);
  }
  state.SetLabel("M=65537");
}
BENCHMARK(BM_FailurePatch)->Arg(8)->Arg(64)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_Successors(benchmark::State& state) {
  auto t = *Table::build(members(static_cast<int>(state.range(0))), kDefaultBuckets);
  for (auto _ : state) {
    auto s = t.successors();
    benchmark::DoNotOptimize(s);
  }
  state.SetLabel("M=65537");
}
BENCHMARK(BM_Successors)->Arg(8)->Arg(64)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
