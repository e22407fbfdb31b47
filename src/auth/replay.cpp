#include "auth/replay.hpp"

#include "core/result.hpp"

namespace baton::auth {

std::string_view freshness_name(Freshness f) {
  switch (f) {
    case Freshness::fresh: return "fresh";
    case Freshness::replayed: return "replayed";
    case Freshness::too_old: return "too-old";
    case Freshness::stale_epoch: return "stale-epoch";
    case Freshness::sender_limit: return "sender-limit";
  }
  return "unknown";
}

bool ReplayGuard::Window::test(std::uint64_t seq) const {
  std::uint64_t bit = seq % kReplayWindow;
  return (seen[bit / 64] >> (bit % 64) & 1u) != 0;
}
void ReplayGuard::Window::set(std::uint64_t seq) {
  std::uint64_t bit = seq % kReplayWindow;
  seen[bit / 64] |= std::uint64_t{1} << (bit % 64);
}
void ReplayGuard::Window::clear(std::uint64_t seq) {
  std::uint64_t bit = seq % kReplayWindow;
  seen[bit / 64] &= ~(std::uint64_t{1} << (bit % 64));
}

Freshness ReplayGuard::check(std::uint32_t sender, std::uint64_t epoch, std::uint64_t seq) const {
  auto it = windows_.find(sender);
  if (it == windows_.end())
    return windows_.size() >= max_senders_ ? Freshness::sender_limit : Freshness::fresh;
  const Window& w = it->second;
  if (epoch < w.session.epoch) return Freshness::stale_epoch;
  if (epoch > w.session.epoch) return Freshness::fresh;
  if (seq > w.session.highest) return Freshness::fresh;
  if (w.session.highest - seq >= kReplayWindow) return Freshness::too_old;
  return w.test(seq) ? Freshness::replayed : Freshness::fresh;
}

void ReplayGuard::commit(std::uint32_t sender, std::uint64_t epoch, std::uint64_t seq) {
  if (check(sender, epoch, seq) != Freshness::fresh)
    panic("ReplayGuard::commit() of a message check() did not find fresh");
  auto [it, inserted] = windows_.try_emplace(sender);
  Window& w = it->second;
  if (inserted || epoch > w.session.epoch) {
    w = Window{};
    w.session = {epoch, seq};
  } else if (seq > w.session.highest) {
    if (seq - w.session.highest >= kReplayWindow) {
      w.seen = {};
    } else {
      for (std::uint64_t s = w.session.highest + 1; s != seq; ++s) w.clear(s);
      w.clear(seq);
    }
    w.session.highest = seq;
  }
  w.set(seq);
}

Freshness ReplayGuard::accept(std::uint32_t sender, std::uint64_t epoch, std::uint64_t seq) {
  Freshness f = check(sender, epoch, seq);
  if (f == Freshness::fresh) commit(sender, epoch, seq);
  return f;
}

std::optional<Session> ReplayGuard::session(std::uint32_t sender) const {
  auto it = windows_.find(sender);
  if (it == windows_.end()) return std::nullopt;
  return it->second.session;
}

}  // namespace baton::auth
