#include "core/clock.hpp"

namespace baton {

TimerId TimerSet::add(TimePoint when, TimerCallback cb) {
  TimerId id = next_id_++;
  queue_.emplace(Key{when, id}, std::move(cb));
  by_id_.emplace(id, when);
  return id;
}

void TimerSet::remove(TimerId id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  queue_.erase(Key{it->second, id});
  by_id_.erase(it);
}

std::optional<TimePoint> TimerSet::next_deadline() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first.first;
}

std::optional<std::pair<TimePoint, TimerCallback>> TimerSet::pop_due(TimePoint now) {
  if (queue_.empty()) return std::nullopt;
  auto it = queue_.begin();
  if (it->first.first > now) return std::nullopt;
  std::pair<TimePoint, TimerCallback> out{it->first.first, std::move(it->second)};
  by_id_.erase(it->first.second);
  queue_.erase(it);
  return out;
}

std::size_t SimClock::advance_to(TimePoint t) {
  std::size_t fired = 0;
  while (auto due = timers_.pop_due(t)) {
    if (due->first > now_) now_ = due->first;
    due->second();
    ++fired;
  }
  if (t > now_) now_ = t;
  return fired;
}

TimePoint RealClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

std::size_t RealClock::run_due() {
  std::size_t fired = 0;
  while (auto due = timers_.pop_due(now())) {
    due->second();
    ++fired;
  }
  return fired;
}

}  // namespace baton
