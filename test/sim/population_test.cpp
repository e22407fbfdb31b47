// The flow population: seeded, complete, and hashed with the real flow hash.
#include "sim/population.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace baton::sim {
namespace {

std::uint64_t sum(const std::vector<std::uint32_t>& v) {
  return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
}

TEST(SimulatorPopulation, CountsEveryFlowOnce) {
  PopulationSpec spec;
  spec.flows = 200'000;
  spec.buckets = 4099;
  auto p = generate(spec);
  EXPECT_EQ(p.per_bucket.size(), 4099u);
  EXPECT_EQ(sum(p.per_bucket), 200'000u);
  EXPECT_EQ(p.ipv4 + p.ipv6, 200'000u);
  EXPECT_EQ(p.tcp + p.udp, 200'000u);
  // 25% IPv6 and 70% TCP by default, within a wide margin.
  EXPECT_NEAR(static_cast<double>(p.ipv6) / 200'000.0, 0.25, 0.01);
  EXPECT_NEAR(static_cast<double>(p.tcp) / 200'000.0, 0.70, 0.01);
}

TEST(SimulatorPopulation, SameSeedSamePopulationOtherSeedOther) {
  PopulationSpec spec;
  spec.flows = 50'000;
  spec.buckets = 65537;
  auto a = generate(spec), b = generate(spec);
  EXPECT_EQ(a.per_bucket, b.per_bucket);
  spec.seed = 2;
  auto c = generate(spec);
  EXPECT_NE(a.per_bucket, c.per_bucket);
}

TEST(SimulatorPopulation, UsesTheRealHashAndBucket) {
  PopulationSpec spec;
  spec.flows = 1000;
  spec.buckets = 251;
  spec.mode = dist::Mode::general;
  spec.ipv6_percent = 50;
  std::vector<std::uint32_t> expect(spec.buckets, 0);
  std::uint64_t state = spec.seed;
  for (std::uint64_t i = 0; i < spec.flows; ++i) {
    dist::Packet pkt = random_flow(state, spec.ipv6_percent);
    expect[dist::bucket_of(dist::flow_hash(pkt, spec.mode), spec.buckets)]++;
  }
  EXPECT_EQ(generate(spec).per_bucket, expect);
  spec.mode = dist::Mode::general_l4;
  EXPECT_NE(generate(spec).per_bucket, expect);  // ports now count
}

TEST(SimulatorPopulation, IPv6PercentExtremes) {
  PopulationSpec spec;
  spec.flows = 10'000;
  spec.ipv6_percent = 0;
  EXPECT_EQ(generate(spec).ipv6, 0u);
  spec.ipv6_percent = 100;
  EXPECT_EQ(generate(spec).ipv4, 0u);
}

TEST(SimulatorPopulation, FlowsAreWellFormed) {
  std::uint64_t state = 7;
  for (int i = 0; i < 1000; ++i) {
    dist::Packet p = random_flow(state, 50);
    ASSERT_TRUE(p.family == 4 || p.family == 6);
    ASSERT_TRUE(p.proto == BATON_IPPROTO_TCP || p.proto == BATON_IPPROTO_UDP);
    ASSERT_TRUE(p.flags & BATON_PKT_HAS_PORTS);
    if (p.family == 4) {
      ASSERT_EQ(p.src[1] | p.src[2] | p.src[3] | p.dst[1] | p.dst[2] | p.dst[3], 0u);
    }
  }
}

}  // namespace
}  // namespace baton::sim
