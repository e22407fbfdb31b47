// Property: whatever happens on a segment (starts, shutdowns, cut links, resignations,
// heartbeat verdicts, health grades, in any order and timing), once it all heals and the
// adverts flow for a few intervals there is exactly one master, of the best priority (of
// two equal ones either may hold it: a backup does not preempt an equal master), and it
// stays put.
#include <gtest/gtest.h>

#include <random>

#include "sim_lan.hpp"

namespace baton::vrrp::test {
namespace {

TEST(VrrpConvergence, RandomEventsEndWithOneStableMasterOfTheBestPriority) {
  for (unsigned seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    Lan lan;
    std::vector<std::size_t> nodes;
    const std::uint8_t prio[] = {150, 150, 100};  // a tie on priority, broken on address
    for (std::uint8_t i = 0; i < 3; ++i) {
      Config c =
          basic_config("r" + std::to_string(i), static_cast<std::uint8_t>(i + 1), prio[i], 1);
      c.tracks = {{"grade", TrackKind::health, 120}};
      nodes.push_back(lan.add_instance(c));
    }
    for (int step = 0; step < 60; ++step) {
      std::size_t n = nodes[static_cast<std::size_t>(pick(3))];
      switch (pick(8)) {
        case 0: lan.send(n, 0, ev::Start{}); break;
        case 1: lan.send(n, 0, ev::Shutdown{}); break;
        case 2: lan.member(n).link_up = !lan.member(n).link_up; break;
        case 3: lan.send(n, 0, ev::Resign{}); break;
        case 4: lan.send(n, 0, ev::Unresign{}); break;
        case 5: lan.send(n, 0, ev::PeerDown{}); break;
        case 6:
          lan.send(n, 0, ev::HealthChanged{"grade", static_cast<std::uint8_t>(pick(101))});
          break;
        default: break;
      }
      lan.advance(nanoseconds(pick(60'000'000)));
    }
    for (auto n : nodes) {
      lan.member(n).link_up = true;
      lan.send(n, 0, ev::HealthChanged{"grade", 100});
      lan.send(n, 0, ev::Unresign{});
      lan.send(n, 0, ev::Start{});
    }
    lan.advance(milliseconds(200));
    EXPECT_EQ(lan.masters_on(0), 1u);
    EXPECT_NE(lan.state(nodes[2]), State::master);  // priority 100 loses to 150
    std::size_t changes = 0;
    for (auto n : nodes) changes += lan.member(n).changes.size();
    lan.advance(seconds(1));
    std::size_t later = 0;
    for (auto n : nodes) later += lan.member(n).changes.size();
    EXPECT_EQ(later, changes);
    EXPECT_EQ(lan.masters_on(0), 1u);
  }
}

}  // namespace
}  // namespace baton::vrrp::test
