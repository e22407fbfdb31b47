#include "auth/replay.hpp"

#include "auth/epoch.hpp"

#include <gtest/gtest.h>

namespace baton::auth {
namespace {

constexpr std::uint32_t kA = 7;
constexpr std::uint32_t kB = 8;

TEST(AuthReplayGuard, EachSequenceAcceptedOnce) {
  ReplayGuard g;
  EXPECT_EQ(g.accept(kA, 1, 1), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 1, 1), Freshness::replayed);
  EXPECT_EQ(g.accept(kA, 1, 2), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 1, 2), Freshness::replayed);
  EXPECT_EQ(g.accept(kA, 1, 1), Freshness::replayed);
}

TEST(AuthReplayGuard, FirstContactAcceptsAnySequence) {
  ReplayGuard g;
  EXPECT_EQ(g.accept(kA, 3, 123456), Freshness::fresh);
  EXPECT_EQ(g.session(kA)->highest, 123456u);
  EXPECT_EQ(g.accept(kB, 3, 0), Freshness::fresh);
}

TEST(AuthReplayGuard, ReorderingInsideTheWindow) {
  ReplayGuard g;
  EXPECT_EQ(g.accept(kA, 1, 10), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 1, 5), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 1, 7), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 1, 5), Freshness::replayed);
  EXPECT_EQ(g.accept(kA, 1, 6), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 1, 10), Freshness::replayed);
  EXPECT_EQ(g.session(kA)->highest, 10u);
}

TEST(AuthReplayGuard, WindowEdges) {
  ReplayGuard g;
  const std::uint64_t h = 5000;
  EXPECT_EQ(g.accept(kA, 1, h), Freshness::fresh);
  // The oldest sequence still inside: h - (window - 1).
  EXPECT_EQ(g.check(kA, 1, h - (kReplayWindow - 1)), Freshness::fresh);
  EXPECT_EQ(g.check(kA, 1, h - kReplayWindow), Freshness::too_old);
  EXPECT_EQ(g.check(kA, 1, 0), Freshness::too_old);
  EXPECT_EQ(g.accept(kA, 1, h - (kReplayWindow - 1)), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 1, h - (kReplayWindow - 1)), Freshness::replayed);
  // One step forward pushes it out.
  EXPECT_EQ(g.accept(kA, 1, h + 1), Freshness::fresh);
  EXPECT_EQ(g.check(kA, 1, h - (kReplayWindow - 1)), Freshness::too_old);
  EXPECT_EQ(g.check(kA, 1, h - (kReplayWindow - 2)), Freshness::fresh);
}

// Sequences kReplayWindow apart share a bit; sliding must clear it so neither is confused
// with the other.
TEST(AuthReplayGuard, SlidingClearsReusedSlots) {
  ReplayGuard g;
  EXPECT_EQ(g.accept(kA, 1, 6), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 1, 6 + kReplayWindow - 1), Freshness::fresh);
  EXPECT_EQ(g.check(kA, 1, 6), Freshness::replayed);  // still inside, and seen
  EXPECT_EQ(g.check(kA, 1, 7), Freshness::fresh);     // inside, never seen
  EXPECT_EQ(g.accept(kA, 1, 6 + kReplayWindow), Freshness::fresh);  // reuses 6's slot
  EXPECT_EQ(g.check(kA, 1, 6), Freshness::too_old);
  EXPECT_EQ(g.check(kA, 1, 6 + kReplayWindow), Freshness::replayed);
  EXPECT_EQ(g.check(kA, 1, 7), Freshness::fresh);
}

TEST(AuthReplayGuard, JumpBeyondTheWindowForgetsEverything) {
  ReplayGuard g;
  for (std::uint64_t s = 1; s <= 10; ++s) EXPECT_EQ(g.accept(kA, 1, s), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 1, 1'000'000), Freshness::fresh);
  EXPECT_EQ(g.check(kA, 1, 10), Freshness::too_old);
  for (std::uint64_t s = 1'000'000 - kReplayWindow + 1; s < 1'000'000; ++s)
    ASSERT_EQ(g.check(kA, 1, s), Freshness::fresh) << s;
}

TEST(AuthReplayGuard, NewEpochRestartsTheSequenceOldEpochIsStale) {
  ReplayGuard g;
  EXPECT_EQ(g.accept(kA, 100, 5000), Freshness::fresh);
  // The sender restarted: new epoch, sequence from 1 again.
  EXPECT_EQ(g.accept(kA, 101, 1), Freshness::fresh);
  EXPECT_EQ(g.session(kA)->epoch, 101u);
  EXPECT_EQ(g.session(kA)->highest, 1u);
  EXPECT_EQ(g.accept(kA, 101, 2), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 101, 1), Freshness::replayed);
  // Anything from the old session is refused, even with a higher sequence.
  EXPECT_EQ(g.accept(kA, 100, 5001), Freshness::stale_epoch);
  EXPECT_EQ(g.accept(kA, 99, 1), Freshness::stale_epoch);
}

TEST(AuthReplayGuard, SendersAreIndependent) {
  ReplayGuard g;
  EXPECT_EQ(g.accept(kA, 5, 1), Freshness::fresh);
  EXPECT_EQ(g.accept(kB, 1, 1), Freshness::fresh);  // lower epoch, other sender
  EXPECT_EQ(g.accept(kB, 1, 1), Freshness::replayed);
  EXPECT_EQ(g.senders(), 2u);
}

TEST(AuthReplayGuard, CheckChangesNothing) {
  ReplayGuard g;
  EXPECT_EQ(g.accept(kA, 5, 100), Freshness::fresh);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(g.check(kA, 6, 1), Freshness::fresh);
    EXPECT_EQ(g.check(kA, 5, 200), Freshness::fresh);
    EXPECT_EQ(g.check(kB, 1, 1), Freshness::fresh);
  }
  EXPECT_EQ(g.session(kA)->epoch, 5u);
  EXPECT_EQ(g.session(kA)->highest, 100u);
  EXPECT_EQ(g.senders(), 1u);
}

TEST(AuthReplayGuardDeathTest, CommitOfAReplayAborts) {
  ReplayGuard g;
  g.commit(kA, 1, 1);
  EXPECT_DEATH(g.commit(kA, 1, 1), "did not find fresh");
}

TEST(AuthReplayGuard, SenderLimitAndForget) {
  ReplayGuard g(2);
  EXPECT_EQ(g.accept(1, 1, 1), Freshness::fresh);
  EXPECT_EQ(g.accept(2, 1, 1), Freshness::fresh);
  EXPECT_EQ(g.accept(3, 1, 1), Freshness::sender_limit);
  EXPECT_EQ(g.accept(2, 1, 2), Freshness::fresh);  // known senders go on
  g.forget(1);
  EXPECT_FALSE(g.session(1).has_value());
  EXPECT_EQ(g.accept(3, 1, 1), Freshness::fresh);
}

TEST(AuthReplayGuard, ExtremeSequences) {
  ReplayGuard g;
  EXPECT_EQ(g.accept(kA, 1, UINT64_MAX - 1), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 1, UINT64_MAX), Freshness::fresh);
  EXPECT_EQ(g.accept(kA, 1, UINT64_MAX), Freshness::replayed);
  EXPECT_EQ(g.accept(kA, 1, 0), Freshness::too_old);
}

TEST(AuthReplayGuard, FreshnessNames) {
  EXPECT_EQ(freshness_name(Freshness::fresh), "fresh");
  EXPECT_EQ(freshness_name(Freshness::replayed), "replayed");
  EXPECT_EQ(freshness_name(Freshness::too_old), "too-old");
  EXPECT_EQ(freshness_name(Freshness::stale_epoch), "stale-epoch");
  EXPECT_EQ(freshness_name(Freshness::sender_limit), "sender-limit");
}

TEST(AuthEpoch, GrowsWithTheClockAndPastThePersistedValue) {
  EXPECT_EQ(next_epoch(0, 1'700'000'000'000'000'000u), 1'700'000'000'000'000'000u);
  // The clock stepped back: the persisted value still moves the epoch forward.
  EXPECT_EQ(next_epoch(1'700'000'000'000'000'000u, 1'600'000'000'000'000'000u),
            1'700'000'000'000'000'001u);
  EXPECT_EQ(next_epoch(0, 0), 1u);  // never 0
  EXPECT_EQ(next_epoch(41, 0), 42u);
  EXPECT_EQ(next_epoch(UINT64_MAX, 0), UINT64_MAX);
}

}  // namespace
}  // namespace baton::auth
