#include "sim/population.hpp"

#include <algorithm>
#include <chrono>

namespace baton::sim {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint32_t lo32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }
std::uint32_t hi32(std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); }
std::uint16_t lo16(std::uint64_t v) { return static_cast<std::uint16_t>(v); }

}  // namespace

dist::Packet random_flow(std::uint64_t& rng_state, std::uint32_t ipv6_percent) {
  dist::Packet p{};
  std::uint64_t r0 = splitmix64(rng_state);
  bool v6 = (r0 % 100) < ipv6_percent;
  bool tcp = ((r0 >> 8) % 10) < 7;  // 70% TCP, 30% UDP
  p.flags = BATON_PKT_HAS_PORTS;
  p.proto = tcp ? BATON_IPPROTO_TCP : BATON_IPPROTO_UDP;
  p.outer_proto = p.proto;
  p.ttl = 64;
  std::uint64_t r1 = splitmix64(rng_state);
  p.sport = lo16(r0 >> 16);
  p.dport = lo16(r0 >> 32);
  if (!v6) {
    p.family = 4;
    p.ethertype = BATON_ETH_P_IP;
    p.src[0] = lo32(r1);
    p.dst[0] = hi32(r1);
  } else {
    p.family = 6;
    p.ethertype = BATON_ETH_P_IPV6;
    std::uint64_t r2 = splitmix64(rng_state), r3 = splitmix64(rng_state);
    p.src[0] = lo32(r1);
    p.src[1] = hi32(r1);
    p.src[2] = lo32(r2);
    p.src[3] = hi32(r2);
    std::uint64_t r4 = splitmix64(rng_state);
    p.dst[0] = lo32(r3);
    p.dst[1] = hi32(r3);
    p.dst[2] = lo32(r4);
    p.dst[3] = hi32(r4);
  }
  return p;
}

Population generate(const PopulationSpec& spec) {
  auto start = std::chrono::steady_clock::now();
  Population pop;
  pop.per_bucket.assign(spec.buckets, 0);
  pop.flows = spec.flows;
  std::uint64_t state = spec.seed;
  for (std::uint64_t i = 0; i < spec.flows; ++i) {
    dist::Packet p = random_flow(state, spec.ipv6_percent);
    (p.family == 6 ? pop.ipv6 : pop.ipv4)++;
    (p.proto == BATON_IPPROTO_TCP ? pop.tcp : pop.udp)++;
    pop.per_bucket[dist::bucket_of(dist::flow_hash(p, spec.mode), spec.buckets)]++;
  }
  pop.empty_buckets = static_cast<std::uint32_t>(
      std::count(pop.per_bucket.begin(), pop.per_bucket.end(), 0u));
  pop.max_per_bucket = *std::max_element(pop.per_bucket.begin(), pop.per_bucket.end());
  pop.generate_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return pop;
}

}  // namespace baton::sim
