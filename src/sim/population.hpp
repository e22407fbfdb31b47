// The synthetic flow population: random IPv4/IPv6 TCP/UDP 5-tuples from a seeded PRNG,
// hashed with the real flow hash (dist/flow.hpp) and mapped to buckets with the real
// bucket_of(). Only the number of flows per bucket is kept: a flow's bucket never changes
// (the bucket count is fixed for a run), so every per-flow figure of a report (moved,
// collateral, covered) is a per-bucket figure weighted by flows in the bucket. 10M flows cost
// one pass and M counters, not 10M tuples.
#pragma once

#include <cstdint>
#include <vector>

#include "dist/flow.hpp"
#include "dist/table.hpp"

namespace baton::sim {

inline constexpr std::uint64_t kMaxFlows = 100'000'000;

struct PopulationSpec {
  std::uint64_t flows = 1'000'000;
  std::uint64_t seed = 1;
  dist::Mode mode = dist::Mode::general_l4;
  std::uint32_t buckets = dist::kDefaultBuckets;
  std::uint32_t ipv6_percent = 25;  // share of flows that are IPv6, 0..100
};

struct Population {
  std::vector<std::uint32_t> per_bucket;  // flows hashed to each bucket
  std::uint64_t flows = 0;
  std::uint64_t ipv4 = 0, ipv6 = 0;
  std::uint64_t tcp = 0, udp = 0;
  std::uint32_t empty_buckets = 0;
  std::uint32_t max_per_bucket = 0;
  double generate_ms = 0;
};

// A tuple as the data path would parse it (ports meaningful, not a fragment).
dist::Packet random_flow(std::uint64_t& rng_state, std::uint32_t ipv6_percent);

// Same spec, same population: the PRNG is splitmix64 and the tuple layout fixed, so results
// do not depend on the standard library.
Population generate(const PopulationSpec& spec);

}  // namespace baton::sim
