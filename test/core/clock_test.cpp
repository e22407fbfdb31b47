#include "core/clock.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace std::chrono_literals;

namespace baton {
namespace {

TEST(SimClock, FiresDueTimersInDeadlineOrderAtTheirOwnTime) {
  SimClock clock;
  std::vector<std::pair<int, Duration>> fired;
  auto at = [&](Duration d, int tag) {
    clock.arm(TimePoint{d}, [&, tag] { fired.emplace_back(tag, clock.now().time_since_epoch()); });
  };
  at(30ms, 3);
  at(10ms, 1);
  at(20ms, 2);
  EXPECT_EQ(clock.advance(25ms), 2u);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0], std::make_pair(1, Duration{10ms}));
  EXPECT_EQ(fired[1], std::make_pair(2, Duration{20ms}));
  EXPECT_EQ(clock.now().time_since_epoch(), Duration{25ms});
  EXPECT_EQ(clock.advance(5ms), 1u);
  EXPECT_EQ(fired.back(), std::make_pair(3, Duration{30ms}));
}

TEST(SimClock, EqualDeadlinesFireInArmOrder) {
  SimClock clock;
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) clock.arm(TimePoint{1us}, [&, i] { order.push_back(i); });
  clock.advance(1us);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(SimClock, TimerArmedByCallbackFiresInSameAdvanceIfDue) {
  SimClock clock;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    clock.arm(clock.now() + 10ms, tick);
  };
  clock.arm(TimePoint{10ms}, tick);
  clock.advance(1s);
  EXPECT_EQ(ticks, 100);
  EXPECT_EQ(clock.pending(), 1u);
  EXPECT_EQ(*clock.next_deadline(), TimePoint{1010ms});
}

TEST(SimClock, CancelledTimerNeverFires) {
  SimClock clock;
  bool fired = false;
  TimerId id = clock.arm(TimePoint{5ms}, [&] { fired = true; });
  clock.cancel(id);
  clock.cancel(id);      // twice is harmless
  clock.cancel(999999);  // unknown is harmless
  clock.advance(1s);
  EXPECT_FALSE(fired);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(SimClock, PastDeadlineFiresOnNextRunWithoutMovingTimeBack) {
  SimClock clock(TimePoint{1s});
  bool fired = false;
  clock.arm(TimePoint{500ms}, [&] { fired = true; });
  EXPECT_EQ(clock.run_due(), 1u);
  EXPECT_TRUE(fired);
  EXPECT_EQ(clock.now(), TimePoint{1s});
}

TEST(RealClock, IsMonotonicAndRunsDueTimers) {
  RealClock clock;
  TimePoint a = clock.now();
  TimePoint b = clock.now();
  EXPECT_LE(a, b);
  int fired = 0;
  clock.arm(clock.now() - 1ms, [&] { ++fired; });
  clock.arm(clock.now() + 1h, [&] { ++fired; });
  EXPECT_EQ(clock.run_due(), 1u);
  EXPECT_EQ(fired, 1);
  ASSERT_TRUE(clock.next_deadline().has_value());
}

}  // namespace
}  // namespace baton
