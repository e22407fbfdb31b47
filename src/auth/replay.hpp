// Replay protection shared by the baton channels.
//
// Every sender numbers its messages within a *session*: (sender id, epoch). The epoch is a
// non-zero 64-bit number the sender picks at start and that must grow across its restarts
// (see epoch.hpp); within a session the sequence number counts up from any start value.
// The guard keeps, per sender id, the newest epoch seen and a sliding window of the last
// kReplayWindow sequence numbers below the highest one, and accepts each (epoch, sequence)
// at most once:
//   - an epoch older than the sender's current one         -> stale_epoch
//   - a newer epoch                                        -> fresh (on commit the window
//                                                             restarts in the new session)
//   - same epoch, sequence above the highest seen          -> fresh
//   - same epoch, sequence ≥ kReplayWindow below highest   -> too_old
//   - same epoch, inside the window, already seen          -> replayed
// check() decides without changing anything; commit() records. A receiver checks before it
// decodes the body and commits only once the whole message is good, so nothing it drops
// changes the guard. Only authenticated messages may be committed (it is never a MAC check).
// The number of senders is capped; an unknown sender beyond the cap is sender_limit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace baton::auth {

inline constexpr std::uint64_t kReplayWindow = 1024;
inline constexpr std::size_t kDefaultMaxSenders = 8192;

enum class Freshness : std::uint8_t { fresh, replayed, too_old, stale_epoch, sender_limit };

// "fresh", "replayed", "too-old", "stale-epoch", "sender-limit".
std::string_view freshness_name(Freshness f);

struct Session {
  std::uint64_t epoch = 0;
  std::uint64_t highest = 0;  // highest sequence number accepted in this epoch
};

class ReplayGuard {
 public:
  explicit ReplayGuard(std::size_t max_senders = kDefaultMaxSenders) : max_senders_(max_senders) {}

  Freshness check(std::uint32_t sender, std::uint64_t epoch, std::uint64_t seq) const;
  // Records (sender, epoch, seq) as seen. Aborts unless check() says fresh.
  void commit(std::uint32_t sender, std::uint64_t epoch, std::uint64_t seq);
  // check(), then commit() if fresh.
  Freshness accept(std::uint32_t sender, std::uint64_t epoch, std::uint64_t seq);

  // Drops what is known of a sender (a member removed from the group).
  void forget(std::uint32_t sender) { windows_.erase(sender); }
  std::optional<Session> session(std::uint32_t sender) const;
  std::size_t senders() const { return windows_.size(); }

 private:
  static constexpr std::size_t kWords = kReplayWindow / 64;
  static_assert(kReplayWindow % 64 == 0);
  struct Window {
    Session session;
    std::array<std::uint64_t, kWords> seen{};  // bit (seq % kReplayWindow)
    bool test(std::uint64_t seq) const;
    void set(std::uint64_t seq);
    void clear(std::uint64_t seq);
  };

  std::unordered_map<std::uint32_t, Window> windows_;
  std::size_t max_senders_;
};

}  // namespace baton::auth
