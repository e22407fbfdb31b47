#include "probe/recorder.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace baton::probe {
namespace {

TimePoint at(Duration d) { return TimePoint{d}; }

// Steady 1 kHz UDP with immediate echoes from `from` to `to`, skipping echoes in [lo, hi).
void udp_steady(Recorder& r, std::uint64_t& seq, Duration from, Duration to, Duration lo = 0ms,
                Duration hi = 0ms) {
  for (Duration t = from; t < to; t += 1ms) {
    r.udp_sent(seq, at(t));
    if (!(t >= lo && t < hi)) r.udp_received(seq, at(t + 100us));
    ++seq;
  }
}

TEST(Recorder, CountsLossAndGapInTheWindowWhereTheyHappen) {
  Recorder r(at(0ms), "baseline", 0);
  std::uint64_t seq = 0;
  udp_steady(r, seq, 0ms, 1000ms);
  r.mark("failover", at(1000ms));
  udp_steady(r, seq, 1000ms, 2000ms, 1200ms, 1230ms);  // 30 datagrams lost
  auto w = r.report(at(2000ms), 0ms);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].name, "baseline");
  EXPECT_EQ(w[0].udp_sent, 1000u);
  EXPECT_EQ(w[0].udp_lost, 0u);
  EXPECT_NEAR(w[0].udp_max_gap_ms, 1.0, 0.01);
  EXPECT_FALSE(w[0].open);
  EXPECT_EQ(w[1].udp_sent, 1000u);
  EXPECT_EQ(w[1].udp_lost, 30u);
  EXPECT_NEAR(w[1].udp_max_gap_ms, 31.0, 0.01);
  EXPECT_TRUE(w[1].open);
}

TEST(Recorder, RecentSendsAreInFlightNotLost) {
  Recorder r(at(0ms), "w", 0);
  std::uint64_t seq = 0;
  udp_steady(r, seq, 0ms, 100ms);
  for (int k = 0; k < 10; ++k) r.udp_sent(seq++, at(100ms + k * 1ms));  // no echoes yet
  auto w = r.report(at(110ms), 20ms);
  EXPECT_EQ(w[0].udp_lost, 0u);
  EXPECT_EQ(w[0].udp_in_flight, 10u);
  w = r.report(at(110ms), 0ms);
  EXPECT_EQ(w[0].udp_lost, 10u);
}

TEST(Recorder, DuplicateAndUnknownEchoesAreIgnored) {
  Recorder r(at(0ms), "w", 0);
  r.udp_sent(0, at(0ms));
  r.udp_received(0, at(1ms));
  r.udp_received(0, at(2ms));
  r.udp_received(99, at(3ms));
  auto w = r.report(at(3ms), 0ms);
  EXPECT_EQ(w[0].udp_received, 1u);
}

TEST(Recorder, TcpStallAndBreakage) {
  Recorder r(at(0ms), "baseline", 3);
  for (int t = 10; t <= 500; t += 10)
    for (std::uint32_t c = 0; c < 3; ++c) r.tcp_progress(c, at(std::chrono::milliseconds(t)));
  r.mark("member down", at(500ms));
  r.tcp_progress(0, at(510ms));
  r.tcp_progress(0, at(720ms));  // 210 ms stall on conn 0
  r.tcp_progress(1, at(520ms));
  r.tcp_broken(2, true, "reset by peer", at(530ms));
  r.tcp_broken(2, true, "again", at(531ms));  // counted once
  r.tcp_progress(1, at(730ms));
  auto w = r.report(at(730ms), 0ms);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].tcp_broken, 0u);
  EXPECT_NEAR(w[0].tcp_max_stall_ms, 10.0, 0.01);
  EXPECT_EQ(w[1].tcp_connections, 3u);
  EXPECT_EQ(w[1].tcp_broken, 1u);
  EXPECT_EQ(w[1].tcp_reset, 1u);
  ASSERT_EQ(w[1].tcp_errors.size(), 1u);
  EXPECT_EQ(w[1].tcp_errors[0], "conn 2: reset by peer");
  EXPECT_NEAR(w[1].tcp_max_stall_ms, 210.0, 0.01);
  EXPECT_EQ(r.tcp_alive(), 2u);
  EXPECT_EQ(w[0].tcp_progressed, 3u);
  EXPECT_EQ(w[1].tcp_progressed, 2u);  // conn 2 broke without delivering anything
}

TEST(Recorder, AStuckConnectionDoesNotCountAsProgressing) {
  Recorder r(at(0ms), "before", 2);
  r.tcp_progress(0, at(10ms));
  r.tcp_progress(1, at(10ms));
  r.mark("after", at(100ms));
  r.tcp_progress(0, at(150ms));
  r.tcp_progress(0, at(160ms));
  auto w = r.report(at(200ms), 0ms);
  EXPECT_EQ(w[1].tcp_progressed, 1u);
  EXPECT_EQ(w[1].tcp_connections, 2u);
}

TEST(Recorder, SilenceRunningAcrossAMarkCountsInTheWindowItHappenedIn) {
  Recorder r(at(0ms), "a", 1);
  std::uint64_t seq = 0;
  udp_steady(r, seq, 0ms, 100ms, 60ms, 100ms);  // echoes stop at 60 ms
  r.tcp_progress(0, at(50ms));
  r.mark("b", at(100ms));
  udp_steady(r, seq, 100ms, 200ms, 100ms, 120ms);  // resume at 120 ms
  r.tcp_progress(0, at(150ms));
  auto w = r.report(at(200ms), 0ms);
  EXPECT_NEAR(w[0].udp_max_gap_ms, 100.0 - 59.1, 0.01);  // last echo: sent 59 ms, back 59.1
  EXPECT_NEAR(w[0].tcp_max_stall_ms, 50.0, 0.01);
  EXPECT_NEAR(w[1].udp_max_gap_ms, 20.1, 0.01);
  EXPECT_NEAR(w[1].tcp_max_stall_ms, 50.0, 0.01);
}

}  // namespace
}  // namespace baton::probe
