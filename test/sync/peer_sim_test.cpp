// A PeerSender on member A and a PeerReceiver on member B, with real sealing and Gates, over
// a fake network that loses, delays (so reorders) and duplicates datagrams in both directions,
// on simulated time. A's connections come, change and go; B applies what it receives to a fake
// kernel table. The tests assert that B's kernel ends up equal to A's current state exactly,
// that A knows it (in_sync), and that retransmission stays within a loose bound.
#include <map>
#include <random>
#include <unordered_map>

#include <gtest/gtest.h>

#include "samples.hpp"
#include "sync/gate.hpp"
#include "sync/peer_receiver.hpp"
#include "sync/peer_sender.hpp"

namespace baton::sync {
namespace {

using namespace std::chrono_literals;
using testing::conn4;
using testing::conn6;
using Bytes = std::vector<std::uint8_t>;
using Table = std::unordered_map<ConnKey, Conn, ConnKeyHash>;

constexpr std::uint32_t kA = 1, kB = 2;

struct NetConfig {
  double loss = 0;
  double duplicate = 0.02;
  Duration min_delay = 1ms;
  Duration jitter = 4ms;  // uniform extra delay: reorders datagrams sent close together
};

class Net {
 public:
  Net(NetConfig cfg, std::uint64_t seed) : cfg_(cfg), rng_(seed) {}
  void send(std::uint32_t to, const Bytes& b, TimePoint now) {
    if (chance(cfg_.loss)) return;
    int copies = chance(cfg_.duplicate) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      auto extra = std::uniform_int_distribution<Duration::rep>(0, cfg_.jitter.count())(rng_);
      queue_.emplace(now + cfg_.min_delay + Duration(extra), std::make_pair(to, b));
    }
  }
  // Datagrams due by `now`, in delivery order.
  std::vector<std::pair<std::uint32_t, Bytes>> due(TimePoint now) {
    std::vector<std::pair<std::uint32_t, Bytes>> out;
    auto end = queue_.upper_bound(now);
    for (auto it = queue_.begin(); it != end; ++it) out.push_back(std::move(it->second));
    queue_.erase(queue_.begin(), end);
    return out;
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  std::mt19937_64& rng() { return rng_; }

 private:
  NetConfig cfg_;
  std::mt19937_64 rng_;
  std::multimap<TimePoint, std::pair<std::uint32_t, Bytes>> queue_;
};

PeerSenderConfig sender_cfg() {
  PeerSenderConfig c;
  c.peer_id = kB;
  return c;
}

// Member A: the connections it replicates to B.
struct SenderSide {
  explicit SenderSide(std::uint64_t epoch)
      : sealer(testing::test_key(), kA, epoch), gate(testing::test_key(), {kA, epoch}),
        sender(sender_cfg()) {}
  Sealer sealer;
  Gate gate;
  PeerSender sender;
};

// Member B: the backups it holds from A, and its kernel.
struct ReceiverSide {
  explicit ReceiverSide(std::uint64_t epoch)
      : sealer(testing::test_key(), kB, epoch), gate(testing::test_key(), {kB, epoch}),
        receiver(PeerReceiverConfig{kA}) {}
  Sealer sealer;
  Gate gate;
  PeerReceiver receiver;
  TimePoint last_resync_request{};
};

class Sim {
 public:
  Sim(NetConfig net, std::uint64_t seed) : net_(net, seed) {}

  // Moves time by one millisecond: delivers what is due, then lets both sides send.
  void step() {
    now_ += 1ms;
    for (auto& [to, bytes] : net_.due(now_)) {
      if (to == kA) deliver_to_a(bytes);
      else deliver_to_b(bytes);
    }
    for (const auto& o : a_->sender.poll(now_)) send(a_->sealer, o);
  }

  void deliver_to_a(const Bytes& bytes) {
    auto r = a_->gate.receive(bytes);
    if (!r.accepted()) return;  // B speaking to an earlier session of A: B learns from A
    const Message& m = *r.message;
    a_->sender.on_peer_epoch(m.header.sender_epoch);
    if (auto* ack = std::get_if<Ack>(&m.body)) a_->sender.on_ack(*ack, now_);
    if (std::holds_alternative<ResyncRequest>(m.body)) a_->sender.on_resync_request();
  }

  void deliver_to_b(const Bytes& bytes) {
    auto r = b_->gate.receive(bytes);
    if (!r.accepted()) {
      // A still speaks to an earlier session of B: ask it to start over with this one (at
      // most every 100 ms, as an agent would).
      if (r.drop->reason == DropReason::wrong_session && r.authentic_header &&
          now_ - b_->last_resync_request >= 100ms) {
        b_->last_resync_request = now_;
        send(b_->sealer, b_->receiver.resync_request());
      }
      return;
    }
    const Message& m = *r.message;
    if (auto* u = std::get_if<Update>(&m.body)) {
      auto applied = b_->receiver.on_update(m.header.sender_epoch, *u, now_);
      for (const auto& a : applied.actions) {
        if (auto* i = std::get_if<Install>(&a)) kernel_[i->conn.key] = i->conn;
        else kernel_.erase(std::get<Remove>(a).key);
      }
      if (applied.ack) send(b_->sealer, *applied.ack);
    } else if (auto* hb = std::get_if<Heartbeat>(&m.body)) {
      if (auto ack = b_->receiver.on_heartbeat(m.header.sender_epoch, *hb, now_)) send(b_->sealer, *ack);
    }
  }

  void send(Sealer& s, const Outgoing& o) {
    auto bytes = s.seal(o);
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    EXPECT_LE(bytes->size(), kDefaultUpdateBudget);
    net_.send(o.peer_id, *bytes, now_);
  }

  // --- A's connections -------------------------------------------------------------------
  Conn fresh_conn() {
    std::uint32_t n = next_conn_++;
    return n % 5 == 0 ? conn6(n) : conn4(n);
  }
  void upsert(const Conn& c) {
    truth_[c.key] = c;
    a_->sender.upsert(c);
  }
  void remove(const ConnKey& k) {
    truth_.erase(k);
    a_->sender.remove(k);
  }
  const Conn& random_live() {
    auto it = truth_.begin();
    std::advance(it, std::uniform_int_distribution<std::size_t>(0, truth_.size() - 1)(net_.rng()));
    return it->second;
  }
  // One millisecond of churn: `creates` new connections (some reusing the tuple of one that
  // ended), state changes and removals of live ones.
  void churn(int creates, int changes, double remove_p) {
    for (int i = 0; i < creates; ++i) {
      if (!removed_.empty() && net_.chance(0.05)) {
        upsert(removed_.back());
        removed_.pop_back();
      } else {
        upsert(fresh_conn());
      }
    }
    for (int i = 0; i < changes && !truth_.empty(); ++i) {
      Conn c = random_live();
      c.timeout_s = static_cast<std::uint32_t>(net_.rng()() % 432000);
      c.tcp_state = static_cast<std::uint8_t>(1 + net_.rng()() % 9);
      upsert(c);
    }
    if (!truth_.empty() && net_.chance(remove_p)) {
      Conn c = random_live();
      removed_.push_back(c);
      remove(c.key);
    }
  }

  // Runs until A is in sync (false if not within `limit`).
  bool settle(Duration limit) {
    TimePoint end = now_ + limit;
    while (now_ < end) {
      step();
      if (a_->sender.in_sync()) return true;
    }
    return false;
  }

  void expect_converged() {
    ASSERT_TRUE(a_->sender.in_sync());
    EXPECT_EQ(kernel_.size(), truth_.size());
    EXPECT_TRUE(kernel_ == truth_) << "B's kernel differs from A's state";
    auto held = b_->receiver.held();
    EXPECT_EQ(held.size(), truth_.size());
    for (const auto& h : held) {
      EXPECT_EQ(truth_.count(h.key), 1u) << to_string(h.key);
      EXPECT_EQ(a_->sender.version(h.key), h.version) << to_string(h.key);
      EXPECT_TRUE(a_->sender.acked(h.key));
    }
  }

  std::unique_ptr<SenderSide> a_ = std::make_unique<SenderSide>(1000);
  std::unique_ptr<ReceiverSide> b_ = std::make_unique<ReceiverSide>(2000);
  Table truth_;
  Table kernel_;
  std::vector<Conn> removed_;
  TimePoint now_{};
  std::uint32_t next_conn_ = 1;

 private:
  Net net_;
};

struct LossCase {
  double loss;
  double max_retransmit_ratio;  // retransmitted records per first-time record, loosely
};
void PrintTo(const LossCase& c, std::ostream* os) {
  *os << c.loss * 100 << "% loss, retransmit ratio at most " << c.max_retransmit_ratio;
}

class SyncUnderLoss : public ::testing::TestWithParam<LossCase> {};

TEST_P(SyncUnderLoss, TenThousandConnectionsConverge) {
  const auto p = GetParam();
  Sim sim({.loss = p.loss}, 42);
  // Two seconds of churn: 10k connections created, ~6k state changes, ~1k removals.
  for (int ms = 0; ms < 2000; ++ms) {
    sim.churn(5, 3, 0.5);
    sim.step();
  }
  ASSERT_GE(sim.truth_.size(), 8000u);
  ASSERT_TRUE(sim.settle(120s)) << "not in sync after 120 s at " << p.loss * 100 << "% loss";
  sim.expect_converged();
  // Idle afterwards: heartbeats only, still in sync.
  for (int ms = 0; ms < 2000; ++ms) sim.step();
  EXPECT_TRUE(sim.a_->sender.in_sync());

  const auto& c = sim.a_->sender.counters();
  const double first = static_cast<double>(c.records_sent - c.records_retransmitted);
  EXPECT_LE(static_cast<double>(c.records_retransmitted), first * p.max_retransmit_ratio)
      << c.records_retransmitted << " retransmitted of " << c.records_sent;
  if (p.loss > 0) {
    EXPECT_GT(c.records_retransmitted, 0u);
  }
  EXPECT_GT(sim.b_->receiver.counters().records_stale + sim.b_->gate.drops()[DropReason::replayed], 0u);
}

// The bounds are loose on purpose (about 3x the loss ratio p/(1-p)): they catch a sender that
// re-sends everything, not one that is a little less efficient.
INSTANTIATE_TEST_SUITE_P(Loss, SyncUnderLoss,
                         ::testing::Values(LossCase{0.05, 0.2}, LossCase{0.20, 0.8},
                                           LossCase{0.50, 3.0}),
                         [](const ::testing::TestParamInfo<LossCase>& i) {
                           return std::to_string(static_cast<int>(i.param.loss * 100)) + "pct";
                         });

// A slow peer: every datagram takes 200 ms each way (in order), so an UPDATE is acked 400 ms or
// more after it went, beyond the initial (minimum) RTO of 300 ms. Only the first messages, sent
// before any round trip was measured, time out; once the RTO has adapted, nothing is given up.
// With loss and reordering on top, the losses are still recovered.
TEST(SyncSlowPeer, AdaptedRtoResendsNothingWithoutLoss) {
  Sim sim({.duplicate = 0, .min_delay = 200ms, .jitter = 0ms}, 11);
  std::uint64_t timed_out_early = 0;
  for (int ms = 0; ms < 3000; ++ms) {
    sim.churn(5, 3, 0.5);
    sim.step();
    if (ms == 1000) timed_out_early = sim.a_->sender.counters().messages_timed_out;
  }
  ASSERT_TRUE(sim.settle(60s));
  sim.expect_converged();
  const auto& c = sim.a_->sender.counters();
  EXPECT_EQ(c.messages_timed_out, timed_out_early) << "timeouts after the RTO adapted";
  EXPECT_EQ(c.messages_lost, c.messages_timed_out);
  EXPECT_LE(c.messages_timed_out, sender_cfg().window);  // at most the first window
  EXPECT_GE(sim.a_->sender.srtt(), 400ms);
  EXPECT_LE(sim.a_->sender.srtt(), 410ms);
  EXPECT_GE(sim.a_->sender.rto(), 800ms);
}

TEST(SyncSlowPeer, LossIsStillRecovered) {
  Sim sim({.loss = 0.1, .min_delay = 200ms, .jitter = 4ms}, 12);
  for (int ms = 0; ms < 2000; ++ms) {
    sim.churn(5, 3, 0.5);
    sim.step();
  }
  ASSERT_TRUE(sim.settle(120s));
  sim.expect_converged();
  const auto& c = sim.a_->sender.counters();
  EXPECT_GT(c.records_retransmitted, 0u);
  const double first = static_cast<double>(c.records_sent - c.records_retransmitted);
  EXPECT_LE(static_cast<double>(c.records_retransmitted), first * 0.8)
      << c.records_retransmitted << " retransmitted of " << c.records_sent;
}

TEST(SyncRestart, ReceiverRestartGetsEverythingAgain) {
  Sim sim({.loss = 0.2}, 7);
  for (int ms = 0; ms < 500; ++ms) {
    sim.churn(4, 2, 0.5);
    sim.step();
  }
  // B restarts (new epoch, empty stream state); its kernel keeps the entries.
  sim.b_ = std::make_unique<ReceiverSide>(2001);
  for (int ms = 0; ms < 500; ++ms) {
    sim.churn(4, 2, 0.5);
    sim.step();
  }
  ASSERT_TRUE(sim.settle(60s));
  sim.expect_converged();
  EXPECT_EQ(sim.a_->sender.counters().peer_restarts, 1u);
  EXPECT_EQ(sim.a_->sender.peer_epoch(), 2001u);
}

TEST(SyncRestart, SenderRestartResyncsAndStaleBackupsAreVisible) {
  Sim sim({.loss = 0.2}, 9);
  for (int ms = 0; ms < 500; ++ms) {
    sim.churn(4, 2, 0.5);
    sim.step();
  }
  ASSERT_TRUE(sim.settle(60s));
  // A restarts with a new epoch. While it was down some connections ended; the new agent
  // replicates what its kernel has now.
  std::vector<ConnKey> ended;
  for (int i = 0; i < 50; ++i) {
    ConnKey k = sim.random_live().key;
    sim.truth_.erase(k);
    ended.push_back(k);
  }
  sim.a_ = std::make_unique<SenderSide>(1001);
  for (const auto& [k, c] : sim.truth_) sim.a_->sender.upsert(c);
  for (int ms = 0; ms < 300; ++ms) {
    sim.churn(4, 2, 0.5);
    sim.step();
  }
  ASSERT_TRUE(sim.settle(60s));
  EXPECT_EQ(sim.b_->receiver.counters().sender_restarts, 1u);
  // What the new session never sent is held at version 0: every connection that ended while
  // A was down, and none that is live. (Also those that came and went before the new session
  // sent them: A forgets a connection it never sent once it knows the peer's epoch.)
  std::unordered_map<ConnKey, std::uint64_t, ConnKeyHash> held;
  for (const auto& h : sim.b_->receiver.held()) held[h.key] = h.version;
  for (const auto& k : ended) EXPECT_EQ(held.count(k) ? held[k] : 99, 0u) << to_string(k);
  for (const auto& [k, v] : held) {
    if (v == 0) {
      EXPECT_EQ(sim.truth_.count(k), 0u) << to_string(k);
    }
  }
  for (const auto& k : sim.b_->receiver.clear_keys_if([](const ConnKey&, std::uint64_t v) { return v == 0; }))
    sim.kernel_.erase(k);
  sim.expect_converged();
}

}  // namespace
}  // namespace baton::sync
