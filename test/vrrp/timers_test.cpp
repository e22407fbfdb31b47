#include "vrrp/timers.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace baton::vrrp {
namespace {

TEST(VrrpTimerBinding, ArmReplacesCancelRemovesAndFiringReports) {
  SimClock clock;
  std::vector<std::pair<std::size_t, TimerKind>> fired;
  std::vector<TimePoint> when;
  TimerBinding b(clock, [&](std::size_t m, TimerKind k) {
    fired.emplace_back(m, k);
    when.push_back(clock.now());
  });
  auto t = [](int ms) { return TimePoint{} + std::chrono::milliseconds(ms); };
  EXPECT_TRUE(b.apply(0, fx::ArmTimer{TimerKind::master_down, t(100)}));
  EXPECT_TRUE(b.apply(0, fx::ArmTimer{TimerKind::master_down, t(300)}));  // replaces
  EXPECT_TRUE(b.apply(1, fx::ArmTimer{TimerKind::adver, t(200)}));
  EXPECT_TRUE(b.apply(1, fx::ArmTimer{TimerKind::master_down, t(50)}));
  EXPECT_TRUE(b.apply(1, fx::CancelTimer{TimerKind::master_down}));
  EXPECT_FALSE(b.apply(0, fx::Announce{}));
  EXPECT_EQ(b.deadline(0, TimerKind::master_down), t(300));
  EXPECT_FALSE(b.armed(1, TimerKind::master_down));
  EXPECT_EQ(clock.pending(), 2u);
  clock.advance(std::chrono::seconds(1));
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0], (std::pair<std::size_t, TimerKind>{1, TimerKind::adver}));
  EXPECT_EQ(when[0], t(200));
  EXPECT_EQ(fired[1], (std::pair<std::size_t, TimerKind>{0, TimerKind::master_down}));
  EXPECT_EQ(when[1], t(300));
  EXPECT_FALSE(b.armed(0, TimerKind::master_down));
}

TEST(VrrpTimerBinding, CancelAllLeavesNothingPending) {
  SimClock clock;
  int fired = 0;
  {
    TimerBinding b(clock, [&](std::size_t, TimerKind) { ++fired; });
    (void)b.apply(0, fx::ArmTimer{TimerKind::adver, TimePoint{} + std::chrono::seconds(1)});
    (void)b.apply(3, fx::ArmTimer{TimerKind::adver, TimePoint{} + std::chrono::seconds(2)});
  }  // destroyed: its timers go with it
  EXPECT_EQ(clock.pending(), 0u);
  clock.advance(std::chrono::seconds(5));
  EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace baton::vrrp
