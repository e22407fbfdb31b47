// Time as the protocol cores see it. Cores never read the system clock: they are handed a
// Clock (for now()) and a TimerQueue (to arm and cancel timers). In production both are the
// RealClock; in tests a SimClock advances in exact steps and fires due timers in order, so a
// 3-second hold timer is tested in microseconds, deterministically.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>

namespace baton {

using Duration = std::chrono::nanoseconds;
// Monotonic time since an arbitrary epoch (the steady clock's, or 0 for a SimClock).
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

using TimerId = std::uint64_t;
using TimerCallback = std::function<void()>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class TimerQueue {
 public:
  virtual ~TimerQueue() = default;
  // Arms a one-shot timer that fires at `when` (or as soon as possible if already past).
  virtual TimerId arm(TimePoint when, TimerCallback cb) = 0;
  // Cancels a pending timer; cancelling a fired or unknown timer does nothing.
  virtual void cancel(TimerId id) = 0;
};

// Ordered set of pending timers: earliest deadline first, then the order they were armed.
// Shared by the real and the simulated clock.
class TimerSet {
 public:
  TimerId add(TimePoint when, TimerCallback cb);
  void remove(TimerId id);
  std::optional<TimePoint> next_deadline() const;
  // Removes and returns the earliest timer due at or before `now`, if any.
  std::optional<std::pair<TimePoint, TimerCallback>> pop_due(TimePoint now);
  std::size_t size() const { return by_id_.size(); }

 private:
  using Key = std::pair<TimePoint, TimerId>;
  std::map<Key, TimerCallback> queue_;
  std::map<TimerId, TimePoint> by_id_;
  TimerId next_id_ = 1;
};

// Simulated time. advance()/advance_to() move time forward, firing every timer that falls due
// on the way at its own deadline (now() inside a callback equals that timer's deadline).
// Timers armed by a callback fire in the same call if they fall due before its end.
class SimClock final : public Clock, public TimerQueue {
 public:
  explicit SimClock(TimePoint start = TimePoint{}) : now_(start) {}
  TimePoint now() const override { return now_; }
  TimerId arm(TimePoint when, TimerCallback cb) override { return timers_.add(when, std::move(cb)); }
  void cancel(TimerId id) override { timers_.remove(id); }

  // Returns the number of timers fired.
  std::size_t advance(Duration d) { return advance_to(now_ + d); }
  std::size_t advance_to(TimePoint t);
  // Fires timers due now without moving time.
  std::size_t run_due() { return advance_to(now_); }
  std::size_t pending() const { return timers_.size(); }
  std::optional<TimePoint> next_deadline() const { return timers_.next_deadline(); }

 private:
  TimePoint now_;
  TimerSet timers_;
};

// The system's monotonic clock. The I/O loop asks next_deadline() for its poll timeout and
// calls run_due() when it wakes.
class RealClock final : public Clock, public TimerQueue {
 public:
  TimePoint now() const override;
  TimerId arm(TimePoint when, TimerCallback cb) override { return timers_.add(when, std::move(cb)); }
  void cancel(TimerId id) override { timers_.remove(id); }
  std::size_t run_due();
  std::optional<TimePoint> next_deadline() const { return timers_.next_deadline(); }

 private:
  TimerSet timers_;
};

}  // namespace baton
