#include "vrrp/timers.hpp"

namespace baton::vrrp {

TimerBinding::~TimerBinding() { cancel_all(); }

bool TimerBinding::apply(std::size_t member, const Effect& e) {
  if (const auto* arm = std::get_if<fx::ArmTimer>(&e)) {
    Key key{member, arm->kind};
    if (auto it = pending_.find(key); it != pending_.end()) queue_.cancel(it->second.id);
    TimerKind kind = arm->kind;
    TimerId id = queue_.arm(arm->deadline, [this, member, kind] {
      pending_.erase(Key{member, kind});
      on_fire_(member, kind);
    });
    pending_[key] = Pending{id, arm->deadline};
    return true;
  }
  if (const auto* cancel = std::get_if<fx::CancelTimer>(&e)) {
    if (auto it = pending_.find(Key{member, cancel->kind}); it != pending_.end()) {
      queue_.cancel(it->second.id);
      pending_.erase(it);
    }
    return true;
  }
  return false;
}

bool TimerBinding::armed(std::size_t member, TimerKind kind) const {
  return pending_.count(Key{member, kind}) != 0;
}

std::optional<TimePoint> TimerBinding::deadline(std::size_t member, TimerKind kind) const {
  auto it = pending_.find(Key{member, kind});
  if (it == pending_.end()) return std::nullopt;
  return it->second.deadline;
}

void TimerBinding::cancel_all() {
  for (const auto& [key, p] : pending_) queue_.cancel(p.id);
  pending_.clear();
}

}  // namespace baton::vrrp
