// PeerSender: the reliable, state-based replication stream from this member to ONE peer
// (DESIGN §3, docs/hypersync.md "Reliability").
//
// What it guarantees is not "every message arrives" but "the peer ends up holding the
// *current* state of every connection we replicate to it". So it never retransmits an old
// message: when a message is judged lost (its retransmission timeout passed, or three later
// messages were acknowledged), every connection it carried that the peer has not
// acknowledged at its current version is marked dirty again and goes out, in its current
// state, in a new message. The `floor` of every UPDATE and HEARTBEAT is the smallest data_seq
// still awaited, so the receiver skips over the given-up ones and its cumulative ack moves on.
//
// Versions: each change to a connection takes the next number of this stream's version
// counter, so versions grow per connection even across forget() and re-upsert, and the
// receiver can apply a record only if it is newer than what it holds.
//
// One PeerSender per peer for the whole session of this agent: data_seq and versions start at
// 1, and a new PeerSender for a peer that still holds state from an earlier one (same sender
// epoch) would have its records ignored as old. Drop connections with forget(), not by
// replacing the object.
//
// Retransmission timeout (RTO), after RFC 6298: every ack of a message still awaited is a
// round-trip sample (srtt, rttvar), and the RTO is max(srtt + 4 * rttvar, 2 * srtt), no less
// than `rto` and no more than `rto_max`. A peer that is merely busy (it acks after installing,
// so its backlog is in the round trip) thus raises the RTO instead of triggering re-sends of
// messages that will be acked. Karn: a message given up yields no sample even if its ack comes
// late (its records went out again), and each timeout doubles the RTO of the messages sent
// after it (up to `rto_max`) until the next sample, so a sudden jump of the round trip above
// the RTO cannot make every message time out forever. Loss is still found quickly by the
// selective acks: three later messages acknowledged.
//
// Pure: time is passed in, and poll() returns what to send (Outgoing, sealed by gate.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "sync/conn.hpp"
#include "sync/wire.hpp"

namespace baton::sync {

struct PeerSenderConfig {
  std::uint32_t peer_id = 0;                // not 0
  std::size_t window = 32;                  // UPDATEs sent and not yet acknowledged, at most
  double records_per_second = 200'000;      // rate limit on records sent; 0: none
  double burst_records = 4'000;             // the rate limiter's bucket
  std::size_t budget = kDefaultUpdateBudget;  // bytes of one UPDATE datagram, header and MAC in
  Duration heartbeat = std::chrono::milliseconds(200);  // after this long without sending
  // An UPDATE unacked for the RTO is lost; the RTO adapts to the measured round trip, between
  // these two.
  Duration rto = std::chrono::milliseconds(300);        // the minimum (and the initial) RTO
  Duration rto_max = std::chrono::seconds(3);
  // Connections to make room for at once (0: grow as they come). Growing the map rehashes
  // every entry, a stall of milliseconds per 100 000 that delays the stream; the agent sizes
  // it to the kernel's conntrack limit.
  std::size_t expected_connections = 0;
};

struct PeerSenderCounters {
  std::uint64_t records_sent = 0;           // every record in every UPDATE
  std::uint64_t records_retransmitted = 0;  // of which re-sent because a message was lost
  std::uint64_t updates_sent = 0;
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t acks_received = 0;
  std::uint64_t acks_ignored = 0;           // acknowledging data_seqs never sent
  std::uint64_t messages_lost = 0;          // UPDATEs given up (timeout or later ones acked)
  std::uint64_t messages_timed_out = 0;     // of which given up by timeout
  std::uint64_t resyncs = 0;                // resync(), requests and peer restarts
  std::uint64_t peer_restarts = 0;
};

class PeerSender {
 public:
  explicit PeerSender(PeerSenderConfig cfg);

  // --- what to replicate -----------------------------------------------------------------
  // The connection's current state must reach the peer. Coalesced: a connection waiting to be
  // sent goes out once, in its newest state. The same state again changes nothing.
  void upsert(const Conn& c);
  // The connection ended: the peer must remove it. Once the remove is acknowledged the key is
  // forgotten. A connection the peer cannot hold is simply forgotten: one never sent and
  // upserted after first contact (before it, the peer may hold it from an earlier session of
  // this agent).
  void remove(const ConnKey& k);
  // Stop replicating the connection to this peer without telling it (the table changed and
  // the peer is no longer its successor).
  void forget(const ConnKey& k);
  // Re-send the current state of every connection held, pending removes included.
  void resync();

  // --- what the peer said ----------------------------------------------------------------
  // The peer's session epoch, from the header of any authenticated message it sent us. Until
  // it is known only HEARTBEATs go out (recipient epoch unknown). A new epoch means the peer
  // restarted: whatever was in flight is void, the stream skips ahead and everything is
  // re-sent.
  void on_peer_epoch(std::uint64_t epoch);
  void on_ack(const Ack& a, TimePoint now);
  // The flags of the peer's HEARTBEAT: kHeartbeatWantResync asks for a resync. The peer
  // repeats the flag on every heartbeat until it is served, so it is honoured once per peer
  // session (a restart seen through on_peer_epoch() counts as served).
  void on_heartbeat_flags(std::uint8_t flags);
  void on_resync_request() { resync(); }

  // --- what to send ----------------------------------------------------------------------
  // UPDATEs for dirty connections (within the window and the rate limit), given-up messages
  // turned back into dirty connections, a HEARTBEAT after `heartbeat` without sending.
  std::vector<Outgoing> poll(TimePoint now);
  // When poll() has something to do next: at or before the last poll's time means at once.
  TimePoint next_deadline() const;
  // The flags our HEARTBEATs carry (kHeartbeatWantResync while this member, just started,
  // wants the peer to re-send what it replicates to us; the agent clears it after).
  void set_heartbeat_flags(std::uint8_t flags) { heartbeat_flags_ = flags; }

  // --- state ------------------------------------------------------------------------------
  // Nothing to send and nothing awaiting an acknowledgement: the peer holds our current state.
  bool in_sync() const { return dirty_ == 0 && outstanding_.empty(); }
  // The peer holds the connection's current state (false for unknown or removed keys).
  bool acked(const ConnKey& k) const;
  // Connections waiting to be sent (dirty).
  std::size_t pending() const { return dirty_; }
  // UPDATEs sent and not yet acknowledged or given up.
  std::size_t in_flight() const { return outstanding_.size(); }
  // Connections held (pending removes included).
  std::size_t size() const { return conns_.size(); }
  // The connection's current version, if held and not removed.
  std::optional<std::uint64_t> version(const ConnKey& k) const;
  // Smoothed round-trip time from UPDATE to its ack (0 before the first sample), and its
  // mean deviation.
  Duration srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  // The RTO of an UPDATE sent now (backoff included).
  Duration rto() const;
  std::uint64_t peer_epoch() const { return peer_epoch_; }
  std::uint64_t next_data_seq() const { return next_data_seq_; }
  const PeerSenderCounters& counters() const { return counters_; }

 private:
  struct Entry {
    Conn conn;                      // current state (only the key for a pending remove)
    std::uint64_t version = 0;      // current version
    std::uint64_t acked_version = 0;
    std::uint64_t sent_in = 0;      // data_seq of the last UPDATE that carried it (0: none)
    bool removed = false;
    bool dirty = false;
    bool queued = false;            // in dirty_queue_
    bool retransmit = false;        // dirty because a message carrying it was lost
    bool may_hold = false;          // the peer may hold it: sent once, or known before contact
  };
  struct Sent {
    TimePoint at;
    Duration rto{0};  // its RTO when sent (backoff included)
    std::vector<std::pair<ConnKey, std::uint64_t>> items;  // (key, version) carried
  };
  using Map = std::unordered_map<ConnKey, Entry, ConnKeyHash>;

  void mark_dirty(const ConnKey& k, Entry& e);
  void credit(const Sent& s);
  void sample(Duration rtt);
  Duration base_rto() const;
  TimePoint expiry(const Sent& s) const;
  void lose(std::uint64_t data_seq, const Sent& s);
  void lose_up_to(std::uint64_t below);
  std::uint64_t floor() const;
  std::optional<Outgoing> next_update(TimePoint now);
  Outgoing heartbeat_out();

  PeerSenderConfig cfg_;
  Map conns_;
  std::deque<ConnKey> dirty_queue_;  // FIFO; may hold keys no longer dirty (skipped)
  std::size_t dirty_ = 0;
  std::map<std::uint64_t, Sent> outstanding_;  // by data_seq
  std::uint64_t next_data_seq_ = 1;
  std::uint64_t next_version_ = 1;
  std::uint64_t highest_acked_ = 0;
  std::uint64_t peer_epoch_ = kUnknownEpoch;
  std::uint8_t heartbeat_flags_ = 0;
  std::uint64_t resynced_epoch_ = kUnknownEpoch;  // peer session already resynced on request
  double tokens_;
  TimePoint last_poll_{};
  TimePoint last_sent_{};
  bool sent_any_ = false;
  Duration srtt_{0};
  Duration rttvar_{0};
  unsigned backoff_ = 0;  // the RTO is doubled this many times (timeouts since the last sample)
  PeerSenderCounters counters_;
};

}  // namespace baton::sync
