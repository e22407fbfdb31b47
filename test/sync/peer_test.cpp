// PeerSender and PeerReceiver one step at a time: coalescing, versions, acks and floors,
// loss by timeout and by selective ack, windows and rate, heartbeats, resync, tombstones,
// restarts of either side.
#include <map>

#include <gtest/gtest.h>

#include "samples.hpp"
#include "sync/peer_receiver.hpp"
#include "sync/peer_sender.hpp"

namespace baton::sync {
namespace {

using namespace std::chrono_literals;
using testing::conn4;
using testing::conn6;

constexpr std::uint32_t kPeer = 12;
constexpr std::uint64_t kEpoch = 77;
const TimePoint t0 = TimePoint{} + 1s;

PeerSenderConfig sender_cfg() {
  PeerSenderConfig c;
  c.peer_id = kPeer;
  c.records_per_second = 0;
  return c;
}

std::vector<Update> updates(const std::vector<Outgoing>& out) {
  std::vector<Update> u;
  for (const auto& o : out)
    if (auto* p = std::get_if<Update>(&o.body)) u.push_back(*p);
  return u;
}

std::vector<Heartbeat> heartbeats(const std::vector<Outgoing>& out) {
  std::vector<Heartbeat> h;
  for (const auto& o : out)
    if (auto* p = std::get_if<Heartbeat>(&o.body)) h.push_back(*p);
  return h;
}

// A sender that already knows its peer's epoch and has sent its first heartbeat.
PeerSender ready_sender(PeerSenderConfig cfg = sender_cfg()) {
  PeerSender s(cfg);
  s.on_peer_epoch(kEpoch);
  return s;
}

TEST(PeerSender, SendsOnlyHeartbeatsUntilThePeerEpochIsKnown) {
  PeerSender s(sender_cfg());
  s.upsert(conn4(1));
  auto out = s.poll(t0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].peer_epoch, kUnknownEpoch);
  EXPECT_EQ(std::get<Heartbeat>(out[0].body), (Heartbeat{1, 1, 0}));
  EXPECT_TRUE(s.poll(t0 + 100ms).empty());
  EXPECT_EQ(heartbeats(s.poll(t0 + 200ms)).size(), 1u);
  s.on_peer_epoch(kEpoch);
  auto u = updates(s.poll(t0 + 201ms));
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].data_seq, 1u);
  EXPECT_EQ(u[0].floor, 1u);
  EXPECT_EQ(u[0].records, (std::vector<Record>{{Op::upsert, 1, conn4(1)}}));
}

TEST(PeerSender, CoalescesToTheNewestStateAndVersions) {
  PeerSender s = ready_sender();
  Conn c = conn4(1);
  s.upsert(c);
  c.timeout_s = 10;
  s.upsert(c);
  s.upsert(c);  // same state: no new version
  c.tcp_state = 4;
  s.upsert(c);
  EXPECT_EQ(s.pending(), 1u);
  EXPECT_EQ(s.version(c.key), 3u);
  auto u = updates(s.poll(t0));
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].records, (std::vector<Record>{{Op::upsert, 3, c}}));
  EXPECT_FALSE(s.acked(c.key));
  EXPECT_FALSE(s.in_sync());
  s.on_ack(Ack{1, {}}, t0 + 5ms);
  EXPECT_TRUE(s.acked(c.key));
  EXPECT_TRUE(s.in_sync());
  EXPECT_EQ(s.srtt(), 5ms);
  s.upsert(c);  // unchanged: stays in sync
  EXPECT_TRUE(s.in_sync());
}

TEST(PeerSender, PacksUpdatesToTheBudgetAndWindow) {
  auto cfg = sender_cfg();
  cfg.window = 3;
  PeerSender s = ready_sender(cfg);
  for (std::uint32_t i = 0; i < 200; ++i) s.upsert(conn4(i));
  auto u = updates(s.poll(t0));
  ASSERT_EQ(u.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(u[i].data_seq, i + 1);
    EXPECT_EQ(u[i].floor, 1u);  // 1 is still awaited
    EXPECT_EQ(u[i].records.size(), 26u);
  }
  EXPECT_EQ(s.pending(), 200u - 78u);
  EXPECT_EQ(s.in_flight(), 3u);
  EXPECT_TRUE(s.poll(t0 + 1ms).empty());  // window full, heartbeat not due
  s.on_ack(Ack{2, {}}, t0 + 2ms);
  u = updates(s.poll(t0 + 2ms));
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].data_seq, 4u);
  EXPECT_EQ(u[0].floor, 3u);
}

TEST(PeerSender, RateLimitsRecords) {
  auto cfg = sender_cfg();
  cfg.records_per_second = 1000;
  cfg.burst_records = 10;
  PeerSender s = ready_sender(cfg);
  for (std::uint32_t i = 0; i < 100; ++i) s.upsert(conn4(i));
  auto u = updates(s.poll(t0));
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].records.size(), 10u);
  EXPECT_EQ(s.next_deadline(), t0 + 1ms);  // one token per millisecond
  EXPECT_TRUE(updates(s.poll(t0)).empty());
  u = updates(s.poll(t0 + 5ms));
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].records.size(), 5u);
  u = updates(s.poll(t0 + 1s));
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].records.size(), 10u);  // the bucket holds no more than the burst
}

TEST(PeerSender, TimeoutResendsTheCurrentStateNotTheOldMessage) {
  PeerSender s = ready_sender();
  Conn a = conn4(1), b = conn4(2);
  s.upsert(a);
  s.upsert(b);
  ASSERT_EQ(updates(s.poll(t0)).size(), 1u);  // data_seq 1: a@1, b@2
  b.timeout_s = 5;
  s.upsert(b);                                 // b@3, dirty again
  auto u = updates(s.poll(t0 + 1ms));
  ASSERT_EQ(u.size(), 1u);                     // data_seq 2: b@3
  EXPECT_EQ(s.next_deadline(), t0 + 201ms);  // the heartbeat; the timeout is at t0 + 300ms
  EXPECT_TRUE(updates(s.poll(t0 + 299ms)).empty());
  EXPECT_EQ(s.next_deadline(), t0 + 300ms);
  u = updates(s.poll(t0 + 300ms));             // 1 lost: only a goes again (b travels in 2)
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].data_seq, 3u);
  EXPECT_EQ(u[0].floor, 2u);
  EXPECT_EQ(u[0].records, (std::vector<Record>{{Op::upsert, 1, a}}));
  u = updates(s.poll(t0 + 301ms));             // 2 lost too: b's current state
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].data_seq, 4u);
  EXPECT_EQ(u[0].floor, 3u);
  EXPECT_EQ(u[0].records, (std::vector<Record>{{Op::upsert, 3, b}}));
  EXPECT_EQ(s.counters().records_retransmitted, 2u);
  EXPECT_EQ(s.counters().messages_lost, 2u);
  s.on_ack(Ack{4, {}}, t0 + 310ms);
  EXPECT_TRUE(s.in_sync());
  EXPECT_TRUE(s.acked(a.key));
  EXPECT_TRUE(s.acked(b.key));
}

TEST(PeerSender, SelectiveAcksCreditAndRevealLoss) {
  auto cfg = sender_cfg();
  cfg.budget = 94 + 98;  // one IPv6 upsert per UPDATE
  PeerSender s = ready_sender(cfg);
  for (std::uint32_t i = 0; i < 6; ++i) s.upsert(conn6(i));
  ASSERT_EQ(updates(s.poll(t0)).size(), 6u);
  s.on_ack(Ack{1, {{3, 3}}}, t0 + 1ms);  // 2 missing, 3 later: reordering, not loss yet
  EXPECT_TRUE(s.acked(conn6(0).key));
  EXPECT_FALSE(s.acked(conn6(1).key));
  EXPECT_TRUE(s.acked(conn6(2).key));
  EXPECT_EQ(s.pending(), 0u);
  s.on_ack(Ack{1, {{3, 3}, {5, 5}}}, t0 + 2ms);  // 5 acked: 2 counts as lost, 4 not yet
  EXPECT_EQ(s.pending(), 1u);
  auto u = updates(s.poll(t0 + 2ms));
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].data_seq, 7u);
  EXPECT_EQ(u[0].floor, 4u);  // 4 and 6 still awaited
  EXPECT_EQ(u[0].records.at(0).conn, conn6(1));
  s.on_ack(Ack{7, {}}, t0 + 3ms);
  EXPECT_TRUE(s.in_sync());
}

// A peer that acks every UPDATE 400 ms after it was sent (busy, not losing anything): the
// initial RTO (300 ms, the minimum) gives the first message up once, then the RTO follows the
// measured round trip and nothing more is re-sent.
TEST(PeerSender, SlowAcksRaiseTheRtoInsteadOfResending) {
  PeerSender s = ready_sender();
  s.upsert(conn4(0));
  ASSERT_EQ(updates(s.poll(t0)).size(), 1u);  // data_seq 1
  EXPECT_EQ(s.rto(), 300ms);
  auto u = updates(s.poll(t0 + 300ms));       // 1 timed out: conn4(0) again in 2
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].data_seq, 2u);
  EXPECT_EQ(s.counters().messages_timed_out, 1u);
  EXPECT_EQ(s.rto(), 600ms);                  // backed off until a sample arrives
  EXPECT_EQ(s.next_deadline(), t0 + 500ms);   // the heartbeat; 2 times out at t0 + 900ms
  s.on_ack(Ack{1, {}}, t0 + 400ms);           // the given-up message: no sample (Karn)
  EXPECT_EQ(s.srtt(), 0ms);
  s.on_ack(Ack{2, {}}, t0 + 700ms);
  EXPECT_EQ(s.srtt(), 400ms);
  EXPECT_EQ(s.rttvar(), 200ms);
  EXPECT_EQ(s.rto(), 1200ms);                 // srtt + 4 rttvar, backoff cleared
  EXPECT_TRUE(s.in_sync());

  // Ten seconds of a new connection every 20 ms, each UPDATE acked 400..440 ms after it went.
  std::map<std::uint64_t, TimePoint> sent;    // data_seq -> when
  std::uint32_t next = 1;
  const TimePoint start = t0 + 700ms;
  for (TimePoint now = start; now < start + 10s; now += 1ms) {
    if ((now - start) % 20ms == 0ms) s.upsert(conn4(next++));
    for (const auto& m : updates(s.poll(now))) sent[m.data_seq] = now;
    while (!sent.empty()) {
      const auto [seq, at] = *sent.begin();
      if (now < at + 400ms + static_cast<int>(seq % 5) * 10ms) break;
      s.on_ack(Ack{seq, {}}, now);
      sent.erase(sent.begin());
    }
  }
  EXPECT_EQ(s.counters().messages_timed_out, 1u);
  EXPECT_EQ(s.counters().messages_lost, 1u);
  EXPECT_EQ(s.counters().records_retransmitted, 1u);
  EXPECT_GE(s.srtt(), 400ms);
  EXPECT_LE(s.srtt(), 440ms);
  EXPECT_GE(s.rto(), 800ms);                  // at least twice the round trip
  EXPECT_LE(s.rto(), 3s);
}

// With the RTO raised by a slow peer, a real loss is still recovered: by the selective acks
// when later messages are acked, by the (adapted) timeout when nothing follows.
TEST(PeerSender, SlowPeerLossIsStillRecovered) {
  PeerSender s = ready_sender();
  TimePoint now = t0;
  for (std::uint32_t i = 0; i < 20; ++i, now += 100ms) {  // adapt: acks after 400 ms
    s.upsert(conn4(i));
    auto u = updates(s.poll(now));
    ASSERT_EQ(u.size(), 1u);
    s.on_ack(Ack{u[0].data_seq, {}}, now + 400ms);
  }
  ASSERT_EQ(s.counters().messages_lost, 0u);
  ASSERT_GE(s.rto(), 800ms);
  const std::uint64_t first = s.next_data_seq();
  for (std::uint32_t i = 100; i < 105; ++i) {  // five UPDATEs; the first one is lost
    s.upsert(conn4(i));
    ASSERT_EQ(updates(s.poll(now)).size(), 1u);
  }
  // 400 ms later the acks of the other four arrive: three later ones acked, so it is lost.
  s.on_ack(Ack{first - 1, {{first + 1, first + 4}}}, now + 400ms);
  EXPECT_EQ(s.counters().messages_lost, 1u);
  EXPECT_EQ(s.counters().messages_timed_out, 0u);
  auto u = updates(s.poll(now + 400ms));
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].records.at(0).conn, conn4(100));
  // That one is lost too, and nothing follows: the timeout finds it, within rto_max.
  const TimePoint sent = now + 400ms;
  TimePoint resent = sent;
  for (TimePoint t = sent + 1ms; t <= sent + 4s; t += 1ms) {
    auto v = updates(s.poll(t));
    if (!v.empty()) {
      u = v;
      resent = t;
      break;
    }
  }
  EXPECT_GE(resent, sent + 800ms);  // not before twice the round trip
  EXPECT_LE(resent, sent + 3s);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].records.at(0).conn, conn4(100));
  EXPECT_EQ(s.counters().messages_timed_out, 1u);
  const TimePoint deadline = resent;
  s.on_ack(Ack{u[0].data_seq, {}}, deadline + 400ms);
  EXPECT_TRUE(s.in_sync());
  EXPECT_TRUE(s.acked(conn4(100).key));
}

TEST(PeerSender, IgnoresAcksForUnsentData) {
  PeerSender s = ready_sender();
  s.upsert(conn4(1));
  (void)s.poll(t0);
  s.on_ack(Ack{2, {}}, t0);
  s.on_ack(Ack{0, {{2, 2}}}, t0);
  EXPECT_EQ(s.counters().acks_ignored, 2u);
  EXPECT_FALSE(s.in_sync());
}

TEST(PeerSender, RemoveIsSentUntilAckedThenForgotten) {
  PeerSender s = ready_sender();
  s.upsert(conn4(1));
  s.upsert(conn4(2));
  s.remove(conn4(2).key);  // never sent: nothing to tell the peer
  EXPECT_EQ(s.size(), 1u);
  (void)s.poll(t0);
  s.on_ack(Ack{1, {}}, t0);
  s.remove(conn4(1).key);
  EXPECT_FALSE(s.acked(conn4(1).key));
  EXPECT_FALSE(s.version(conn4(1).key).has_value());
  auto u = updates(s.poll(t0 + 1ms));
  ASSERT_EQ(u.size(), 1u);
  ASSERT_EQ(u[0].records.size(), 1u);
  EXPECT_EQ(u[0].records[0].op, Op::remove);
  EXPECT_EQ(u[0].records[0].version, 3u);
  EXPECT_EQ(u[0].records[0].conn.key, conn4(1).key);
  EXPECT_EQ(s.size(), 1u);
  s.on_ack(Ack{2, {}}, t0 + 2ms);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(s.in_sync());
  // Back again with the same tuple: a newer version than the remove.
  s.upsert(conn4(1));
  EXPECT_EQ(s.version(conn4(1).key), 4u);
}

TEST(PeerSender, BeforeFirstContactTheRemoveOfAnUnsentConnectionIsSent) {
  PeerSender s(sender_cfg());
  s.upsert(conn4(1));  // peer unknown: it may hold conn 1 from our previous session
  s.remove(conn4(1).key);
  s.on_peer_epoch(kEpoch);
  auto u = updates(s.poll(t0));
  ASSERT_EQ(u.size(), 1u);
  Record gone{Op::remove, 2, {}};
  gone.conn.key = conn4(1).key;
  EXPECT_EQ(u[0].records, (std::vector<Record>{gone}));
}

TEST(PeerSender, ForgetStopsWithoutTellingThePeer) {
  PeerSender s = ready_sender();
  s.upsert(conn4(1));
  s.upsert(conn4(2));
  (void)s.poll(t0);
  s.forget(conn4(1).key);
  s.forget(conn4(9).key);  // unknown: nothing
  s.on_ack(Ack{1, {}}, t0 + 1ms);
  EXPECT_TRUE(s.in_sync());
  EXPECT_EQ(s.size(), 1u);
  s.upsert(conn4(3));
  s.forget(conn4(3).key);  // dirty, then forgotten: nothing pending
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_TRUE(updates(s.poll(t0 + 2ms)).empty());
  // Forget and re-add many times between polls: the queue stays bounded and sends once.
  for (int i = 0; i < 5000; ++i) {
    s.upsert(conn4(5));
    s.forget(conn4(5).key);
  }
  s.upsert(conn4(5));
  auto u = updates(s.poll(t0 + 3ms));
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].records.size(), 1u);
}

TEST(PeerSender, HeartbeatWhenIdleCarriesNextDataSeqAndFloor) {
  PeerSender s = ready_sender();
  (void)s.poll(t0);  // first heartbeat
  s.upsert(conn4(1));
  ASSERT_EQ(updates(s.poll(t0 + 10ms)).size(), 1u);
  EXPECT_TRUE(s.poll(t0 + 209ms).empty());
  EXPECT_EQ(s.next_deadline(), t0 + 210ms);
  auto h = heartbeats(s.poll(t0 + 210ms));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0], (Heartbeat{2, 1, 0}));
  s.on_ack(Ack{1, {}}, t0 + 211ms);
  s.set_heartbeat_flags(kHeartbeatWantResync);
  h = heartbeats(s.poll(t0 + 410ms));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0], (Heartbeat{2, 2, kHeartbeatWantResync}));
}

TEST(PeerSender, ResyncResendsEverythingAndWaitsForNewAcks) {
  PeerSender s = ready_sender();
  for (std::uint32_t i = 0; i < 3; ++i) s.upsert(conn4(i));
  (void)s.poll(t0);
  s.on_ack(Ack{1, {}}, t0);
  ASSERT_TRUE(s.in_sync());
  s.on_resync_request();
  EXPECT_FALSE(s.acked(conn4(0).key));
  EXPECT_EQ(s.pending(), 3u);
  auto u = updates(s.poll(t0 + 1ms));
  ASSERT_EQ(u.size(), 1u);
  ASSERT_EQ(u[0].records.size(), 3u);
  for (const auto& r : u[0].records) EXPECT_EQ(s.version(r.conn.key), r.version);  // same state
  EXPECT_EQ(s.counters().records_retransmitted, 0u);
  s.on_ack(Ack{2, {}}, t0 + 2ms);
  EXPECT_TRUE(s.acked(conn4(0).key));

  // The heartbeat flag asks once per peer session, however often it is repeated.
  s.on_heartbeat_flags(kHeartbeatWantResync);
  s.on_heartbeat_flags(kHeartbeatWantResync);
  EXPECT_EQ(s.counters().resyncs, 2u);
  s.on_heartbeat_flags(0);
  EXPECT_EQ(s.counters().resyncs, 2u);
}

TEST(PeerSender, PeerRestartVoidsWhatIsInFlightAndResyncs) {
  PeerSender s = ready_sender();
  s.upsert(conn4(1));
  s.upsert(conn4(2));
  (void)s.poll(t0);
  s.on_ack(Ack{1, {}}, t0);
  s.remove(conn4(2).key);
  s.upsert(conn4(3));
  ASSERT_EQ(updates(s.poll(t0 + 1ms)).size(), 1u);  // 2: remove conn 2, conn 3
  s.on_peer_epoch(kEpoch - 1);                      // older: ignored
  EXPECT_EQ(s.in_flight(), 1u);
  s.on_peer_epoch(kEpoch + 1);
  EXPECT_EQ(s.in_flight(), 0u);
  EXPECT_EQ(s.counters().peer_restarts, 1u);
  auto out = s.poll(t0 + 2ms);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].peer_epoch, kEpoch + 1);
  const auto& u = std::get<Update>(out[0].body);
  EXPECT_EQ(u.data_seq, 3u);
  EXPECT_EQ(u.floor, 3u);  // the new session skips everything before
  EXPECT_EQ(u.records.size(), 3u);  // conn 1, the pending remove of 2, conn 3
  s.on_heartbeat_flags(kHeartbeatWantResync);  // the restart already served it
  EXPECT_EQ(s.counters().resyncs, 1u);
  s.on_ack(Ack{3, {}}, t0 + 3ms);
  EXPECT_TRUE(s.in_sync());
  EXPECT_EQ(s.size(), 2u);
}

// --- PeerReceiver --------------------------------------------------------------------------

PeerReceiver receiver(Duration ttl = 30s) {
  PeerReceiverConfig c;
  c.sender_id = 11;
  c.tombstone_ttl = ttl;
  return PeerReceiver(c);
}

Update upd(std::uint64_t seq, std::uint64_t floor, std::vector<Record> r) {
  return Update{seq, floor, std::move(r)};
}
Record up(std::uint64_t v, const Conn& c) { return {Op::upsert, v, c}; }
Record rm(std::uint64_t v, const Conn& c) { return {Op::remove, v, c}; }

const Ack& ack_of(const Applied& a) { return std::get<Ack>(a.ack.value().body); }

TEST(PeerReceiver, InstallsAndAcksEveryUpdate) {
  auto r = receiver();
  auto a = r.on_update(kEpoch, upd(1, 1, {up(1, conn4(1)), up(2, conn6(2))}), t0);
  EXPECT_EQ(a.actions, (std::vector<Action>{Install{conn4(1)}, Install{conn6(2)}}));
  ASSERT_TRUE(a.ack.has_value());
  EXPECT_EQ(a.ack->peer_id, 11u);
  EXPECT_EQ(a.ack->peer_epoch, kEpoch);
  EXPECT_EQ(ack_of(a), (Ack{1, {}}));
  EXPECT_EQ(r.held_count(), 2u);
  EXPECT_EQ(r.held_version(conn6(2).key), 2u);
}

TEST(PeerReceiver, DuplicatesAndOlderVersionsChangeNothing) {
  auto r = receiver();
  Conn newer = conn4(1);
  newer.timeout_s = 9;
  (void)r.on_update(kEpoch, upd(1, 1, {up(1, conn4(1))}), t0);
  (void)r.on_update(kEpoch, upd(2, 1, {up(5, newer)}), t0);
  auto dup = r.on_update(kEpoch, upd(1, 1, {up(1, conn4(1))}), t0);
  EXPECT_TRUE(dup.actions.empty());
  EXPECT_EQ(ack_of(dup), (Ack{2, {}}));
  auto same = r.on_update(kEpoch, upd(3, 1, {up(5, newer)}), t0);
  EXPECT_TRUE(same.actions.empty());
  EXPECT_EQ(r.counters().duplicates, 1u);
  EXPECT_EQ(r.counters().records_stale, 2u);
  EXPECT_EQ(r.held_version(conn4(1).key), 5u);
}

TEST(PeerReceiver, ReorderedMessagesAreAckedSelectivelyThenCumulatively) {
  auto r = receiver();
  EXPECT_EQ(ack_of(r.on_update(kEpoch, upd(2, 1, {up(2, conn4(2))}), t0)), (Ack{0, {{2, 2}}}));
  EXPECT_EQ(ack_of(r.on_update(kEpoch, upd(3, 1, {up(3, conn4(3))}), t0)), (Ack{0, {{2, 3}}}));
  EXPECT_EQ(ack_of(r.on_update(kEpoch, upd(5, 1, {up(5, conn4(5))}), t0)),
            (Ack{0, {{2, 3}, {5, 5}}}));
  EXPECT_EQ(ack_of(r.on_update(kEpoch, upd(1, 1, {up(1, conn4(1))}), t0)), (Ack{3, {{5, 5}}}));
  EXPECT_EQ(r.cumulative(), 3u);
}

TEST(PeerReceiver, FloorSkipsGivenUpDataSeqs) {
  auto r = receiver();
  (void)r.on_update(kEpoch, upd(1, 1, {up(1, conn4(1))}), t0);
  (void)r.on_update(kEpoch, upd(4, 1, {up(4, conn4(4))}), t0);
  (void)r.on_update(kEpoch, upd(6, 1, {up(6, conn4(6))}), t0);
  // 2 and 3 were given up: the floor jumps over them and 4 closes the gap to 5.
  auto a = r.on_update(kEpoch, upd(7, 5, {up(7, conn4(7))}), t0);
  EXPECT_EQ(ack_of(a), (Ack{4, {{6, 7}}}));
  a = r.on_update(kEpoch, upd(8, 8, {up(8, conn4(8))}), t0);
  EXPECT_EQ(ack_of(a), (Ack{8, {}}));
  // A given-up message that arrives late is applied by version but acks nothing new.
  a = r.on_update(kEpoch, upd(2, 1, {up(2, conn4(2))}), t0);
  EXPECT_EQ(a.actions.size(), 1u);
  EXPECT_EQ(ack_of(a), (Ack{8, {}}));
}

TEST(PeerReceiver, HeartbeatAlwaysAnswersAndAppliesItsFloor) {
  auto r = receiver();
  (void)r.on_update(kEpoch, upd(1, 1, {up(1, conn4(1))}), t0);
  // Lost tail: the sender is at 4, we have 1. The ACK tells it.
  auto hb = r.on_heartbeat(kEpoch, Heartbeat{4, 2, 0}, t0);
  ASSERT_TRUE(hb.has_value());
  EXPECT_EQ(std::get<Ack>(hb->body), (Ack{1, {}}));
  hb = r.on_heartbeat(kEpoch, Heartbeat{4, 4, 0}, t0);
  EXPECT_EQ(std::get<Ack>(hb->body), (Ack{3, {}}));
  EXPECT_FALSE(r.on_heartbeat(kEpoch - 1, Heartbeat{1, 1, 0}, t0).has_value());
}

TEST(PeerReceiver, TombstonesStopLateUpsertsUntilTheyExpire) {
  auto r = receiver(10s);
  (void)r.on_update(kEpoch, upd(1, 1, {up(1, conn4(1))}), t0);
  auto a = r.on_update(kEpoch, upd(3, 1, {rm(3, conn4(1))}), t0);
  EXPECT_EQ(a.actions, (std::vector<Action>{Remove{conn4(1).key}}));
  EXPECT_EQ(r.held_count(), 0u);
  EXPECT_EQ(r.tombstones(), 1u);
  a = r.on_update(kEpoch, upd(2, 1, {up(2, conn4(1))}), t0 + 1s);  // late, older
  EXPECT_TRUE(a.actions.empty());
  a = r.on_update(kEpoch, upd(4, 1, {rm(3, conn4(1))}), t0 + 2s);  // duplicate remove
  EXPECT_TRUE(a.actions.empty());
  // A remove for a key never held still reaches the kernel (it may predate our restart).
  a = r.on_update(kEpoch, upd(5, 1, {rm(9, conn4(9))}), t0 + 2s);
  EXPECT_EQ(a.actions, (std::vector<Action>{Remove{conn4(9).key}}));
  r.expire(t0 + 10s);
  EXPECT_EQ(r.tombstones(), 1u);  // conn 9's is younger
  EXPECT_EQ(r.counters().tombstones_expired, 1u);
  a = r.on_update(kEpoch, upd(6, 1, {up(2, conn4(1))}), t0 + 11s);  // no tombstone any more
  EXPECT_EQ(a.actions, (std::vector<Action>{Install{conn4(1)}}));
  // A newer upsert replaces a tombstone at once.
  a = r.on_update(kEpoch, upd(7, 1, {up(10, conn4(9))}), t0 + 11s);
  EXPECT_EQ(a.actions, (std::vector<Action>{Install{conn4(9)}}));
  EXPECT_EQ(r.tombstones(), 0u);
  EXPECT_EQ(r.held_count(), 2u);
}

TEST(PeerReceiver, TombstoneCountIsBounded) {
  PeerReceiverConfig c;
  c.sender_id = 11;
  c.max_tombstones = 10;
  PeerReceiver r(c);
  std::uint64_t seq = 1;
  for (std::uint32_t i = 0; i < 50; ++i) (void)r.on_update(kEpoch, upd(seq, 1, {rm(seq, conn4(i))}), t0), ++seq;
  EXPECT_EQ(r.tombstones(), 10u);
}

TEST(PeerReceiver, OutOfOrderMemoryIsBoundedAndRangesCapped) {
  PeerReceiverConfig c;
  c.sender_id = 11;
  c.max_out_of_order = 20;
  PeerReceiver r(c);
  Applied a;
  for (std::uint64_t seq = 3; seq < 100; seq += 2) a = r.on_update(kEpoch, upd(seq, 1, {up(seq, conn4(0))}), t0);
  EXPECT_EQ(ack_of(a).received.size(), kMaxAckRanges);
  EXPECT_EQ(ack_of(a).received.front(), (AckRange{3, 3}));
  EXPECT_EQ(r.counters().out_of_order_full, 49u - 20u);
}

TEST(PeerReceiver, NewSenderEpochRestartsTheStreamKeepingKeysAtVersionZero) {
  auto r = receiver();
  (void)r.on_update(kEpoch, upd(1, 1, {up(7, conn4(1)), up(8, conn4(2)), rm(9, conn4(3))}), t0);
  (void)r.on_update(kEpoch, upd(5, 1, {up(10, conn4(4))}), t0);
  auto a = r.on_update(kEpoch + 1, upd(1, 1, {up(1, conn4(1))}), t0);
  EXPECT_EQ(r.counters().sender_restarts, 1u);
  EXPECT_EQ(a.actions, (std::vector<Action>{Install{conn4(1)}}));  // version 1 beats the old 7
  EXPECT_EQ(ack_of(a), (Ack{1, {}}));
  EXPECT_EQ(r.held_version(conn4(2).key), 0u);  // not re-sent yet
  EXPECT_EQ(r.tombstones(), 0u);
  // An UPDATE from the old session is ignored and not acked.
  EXPECT_FALSE(r.on_update(kEpoch, upd(6, 1, {up(11, conn4(5))}), t0).ack.has_value());
  // The agent expires what the new session did not re-send.
  auto gone = r.clear_keys_if([](const ConnKey&, std::uint64_t v) { return v == 0; });
  std::sort(gone.begin(), gone.end(), [](const ConnKey& x, const ConnKey& y) { return x.orig.src < y.orig.src; });
  EXPECT_EQ(gone, (std::vector<ConnKey>{conn4(2).key, conn4(4).key}));
  EXPECT_EQ(r.held(), (std::vector<HeldConn>{{conn4(1).key, 1}}));
  EXPECT_EQ(std::get<ResyncRequest>(r.resync_request().body), ResyncRequest{});
  EXPECT_EQ(r.resync_request().peer_epoch, kEpoch + 1);
}

}  // namespace
}  // namespace baton::sync
