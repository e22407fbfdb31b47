// Carries ArmTimer / CancelTimer effects out on a TimerQueue (the RealClock in the daemon,
// a SimClock in tests): one timer per (member, kind), re-arming replaces the pending one.
// When a timer fires, `on_fire(member, kind)` is called; feed ev::TimerFired back to the
// instance or group then.
#pragma once

#include <cstddef>
#include <optional>
#include <functional>
#include <map>
#include <utility>

#include "core/clock.hpp"
#include "vrrp/machine.hpp"

namespace baton::vrrp {

class TimerBinding {
 public:
  using OnFire = std::function<void(std::size_t member, TimerKind kind)>;
  TimerBinding(TimerQueue& queue, OnFire on_fire) : queue_(queue), on_fire_(std::move(on_fire)) {}
  TimerBinding(const TimerBinding&) = delete;
  TimerBinding& operator=(const TimerBinding&) = delete;
  ~TimerBinding();

  // Applies `e` if it is ArmTimer or CancelTimer; returns whether it was one.
  bool apply(std::size_t member, const Effect& e);
  bool armed(std::size_t member, TimerKind kind) const;
  std::optional<TimePoint> deadline(std::size_t member, TimerKind kind) const;
  void cancel_all();

 private:
  using Key = std::pair<std::size_t, TimerKind>;
  struct Pending {
    TimerId id;
    TimePoint deadline;
  };
  TimerQueue& queue_;
  OnFire on_fire_;
  std::map<Key, Pending> pending_;
};

}  // namespace baton::vrrp
