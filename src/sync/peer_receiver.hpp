// PeerReceiver: one sender's replication stream at the receiving member (DESIGN §3,
// docs/hypersync.md "Reliability").
//
// It turns UPDATEs into kernel actions (Install, Remove) and answers with ACKs:
//   - a record is applied only if its version is newer than the last one applied for its key,
//     so duplicates and late, reordered messages change nothing;
//   - a remove leaves a tombstone carrying its version for `tombstone_ttl`, so a late older
//     upsert cannot bring the connection back;
//   - the cumulative ack covers every data_seq received or below the sender's floor; the
//     data_seqs received above it are reported as ranges (selective ack), so the sender
//     re-sends only what was lost.
// A new sender epoch (the sender restarted) restarts the stream. The kernel entries stay: the
// sender resyncs, and what it no longer sends is visible through held() (version 0) for the
// agent to expire.
//
// Pure: time is passed in, actions and ACKs are returned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "sync/conn.hpp"
#include "sync/wire.hpp"

namespace baton::sync {

struct PeerReceiverConfig {
  std::uint32_t sender_id = 0;                             // not 0
  Duration tombstone_ttl = std::chrono::seconds(30);
  std::size_t max_tombstones = 262'144;                    // oldest go first beyond this
  std::size_t max_out_of_order = 4096;                     // data_seqs remembered above the ack
  // Connections to make room for at once (0: grow as they come). Growing the map rehashes
  // every entry, a stall of milliseconds per 100 000 that delays the stream; the agent sizes
  // it to the kernel's conntrack limit.
  std::size_t expected_connections = 0;
};

struct Install {
  Conn conn;
  bool operator==(const Install&) const = default;
};
struct Remove {
  ConnKey key;
  bool operator==(const Remove&) const = default;
};
using Action = std::variant<Install, Remove>;

struct Applied {
  std::vector<Action> actions;  // in record order; apply them in this order
  std::optional<Outgoing> ack;  // absent for a message of an older sender session
};

// A connection held from this sender. Version 0: held from an earlier session of the sender
// and not re-sent in the current one.
struct HeldConn {
  ConnKey key;
  std::uint64_t version = 0;
  bool operator==(const HeldConn&) const = default;
};

struct PeerReceiverCounters {
  std::uint64_t updates = 0;
  std::uint64_t duplicates = 0;         // UPDATEs whose data_seq was already counted
  std::uint64_t records_applied = 0;
  std::uint64_t records_stale = 0;      // not newer than what is held: ignored
  std::uint64_t installs = 0;
  std::uint64_t removes = 0;
  std::uint64_t acks = 0;
  std::uint64_t sender_restarts = 0;
  std::uint64_t out_of_order_full = 0;  // received above the ack but not remembered
  std::uint64_t tombstones_expired = 0;
};

class PeerReceiver {
 public:
  explicit PeerReceiver(PeerReceiverConfig cfg);

  // An UPDATE whose header says `sender_epoch` (the Gate has authenticated it).
  Applied on_update(std::uint64_t sender_epoch, const Update& u, TimePoint now);
  // A HEARTBEAT: skips to its floor and answers with an ACK, always — it tells a sender that
  // lost a tail of messages (or our ACKs) where we are, and tells a sender that does not know
  // our epoch yet what it is (the ACK's header carries it).
  std::optional<Outgoing> on_heartbeat(std::uint64_t sender_epoch, const Heartbeat& hb,
                                       TimePoint now);
  // Asks the sender to re-send everything (e.g. after the Gate dropped its messages as
  // wrong-session: it still speaks to an earlier session of ours).
  Outgoing resync_request() const;

  // Drops tombstones older than tombstone_ttl (on_update and on_heartbeat do it too).
  void expire(TimePoint now);
  // Stops holding the connections `pred(key, version)` selects (stale backups after a table
  // change) and returns their keys; what to do with the kernel entries is the caller's call.
  std::vector<ConnKey> clear_keys_if(
      const std::function<bool(const ConnKey&, std::uint64_t)>& pred);

  std::vector<HeldConn> held() const;
  std::size_t held_count() const { return held_.size() - tombstones_live_; }
  std::optional<std::uint64_t> held_version(const ConnKey& k) const;
  std::size_t tombstones() const { return tombstones_live_; }
  std::uint64_t cumulative() const { return next_expected_ - 1; }
  std::uint64_t sender_epoch() const { return epoch_; }
  const PeerReceiverCounters& counters() const { return counters_; }

 private:
  struct Held {
    std::uint64_t version = 0;
    bool removed = false;     // a tombstone
    TimePoint removed_at{};
  };

  bool accept_epoch(std::uint64_t epoch);
  void skip_to(std::uint64_t floor);
  void received(std::uint64_t data_seq);
  void apply(const Record& r, TimePoint now, std::vector<Action>& actions);
  void bury(const ConnKey& k, TimePoint when);
  Outgoing ack();

  PeerReceiverConfig cfg_;
  std::uint64_t epoch_ = kUnknownEpoch;
  std::uint64_t next_expected_ = 1;
  std::set<std::uint64_t> above_;  // received data_seqs above next_expected_
  std::unordered_map<ConnKey, Held, ConnKeyHash> held_;
  std::deque<std::pair<TimePoint, ConnKey>> tombstone_queue_;  // oldest first
  std::size_t tombstones_live_ = 0;
  PeerReceiverCounters counters_;
};

}  // namespace baton::sync
