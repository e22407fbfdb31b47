// Replicator: the member's HyperSync policy (DESIGN §3, docs/hypersync.md "Successor rule").
// Pure: fed the kernel's connection changes, the orchestrator's tables and the peers'
// messages with the current time; returns what to send and what to install or remove.
//
// The rule: a connection lives on two members, the owner of its bucket and the bucket's
// successor (the member that inherits the bucket if the owner fails: dist::Table::successors).
// This member replicates every connection of the buckets it owns to their successors. So when
// a member fails, the table's failure patch gives each of its buckets to the successor, which
// already holds the bucket's connections: nothing is copied at failover time.
//
// Planned changes: while a TABLE_PREPARE is pending, the connections of the buckets we own
// that move to another owner also go to that new owner; once it acknowledged every one of
// them, prepared() reports the generation (the agent answers TABLE_PREPARED), and new
// connections in those buckets keep going to it until the commit arrives.
//
// The connection cache holds every connection in this member's kernel that the capture
// reported (ours and the backups we installed), so that when a table change makes us the
// owner of a bucket we replicate what we inherited.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "dist/flow.hpp"
#include "dist/table.hpp"
#include "sync/conn.hpp"
#include "sync/peer_receiver.hpp"
#include "sync/peer_sender.hpp"
#include "sync/wire.hpp"

namespace baton::sync {

struct Peer {
  dist::MemberId id = 0;
  std::string name;
  std::uint32_t node_id = 0;  // its agent's node id on the sync channel
  bool operator==(const Peer&) const = default;
};

struct ReplicatorConfig {
  std::uint32_t self_node = 0;       // our node id
  PeerSenderConfig sender;           // peer_id is filled in per peer
  PeerReceiverConfig receiver;       // sender_id is filled in per peer
  // A connection refreshed by traffic is re-sent when a dump shows its remaining timeout
  // this much above what the last report predicted (the backup's timer would run out first).
  std::uint32_t refresh_slack_s = 5;
  // Connections the cache makes room for at once (0: grow as they come); see
  // PeerSenderConfig::expected_connections. Each stream makes room for its share (this over
  // the other members taking part) unless `sender` or `receiver` says otherwise.
  std::size_t expected_connections = 0;
  // A backup of a bucket we neither own nor inherit any more is left this long to live.
  std::uint32_t stale_timeout_s = 120;
};

// What the kernel must do: install (or replace) and remove entries, and let stale backups
// expire (their timeout shortened to ReplicatorConfig::stale_timeout_s, not deleted: if the
// connection does run through this member, its next packet restores the normal timeout).
struct KernelOps {
  std::vector<Conn> install;
  std::vector<ConnKey> remove;
  std::vector<ConnKey> expire;
  bool empty() const { return install.empty() && remove.empty() && expire.empty(); }
};

struct ReplicatorCounters {
  std::uint64_t conns_seen = 0;       // capture events and dump entries taken in
  std::uint64_t conns_destroyed = 0;
  std::uint64_t refreshed = 0;        // re-sent because traffic kept them alive
  std::uint64_t stale_expired = 0;    // backups left to expire after a table change
  std::uint64_t unknown_sender = 0;   // messages from a node not in the group
  std::uint64_t tables = 0;
  std::uint64_t prepares = 0;
};

// Where one connection stands, for `flow` lookups and status.
struct ConnView {
  Conn conn;
  std::uint32_t bucket = 0;
  dist::MemberId owner = dist::kNoMember;
  dist::MemberId successor = dist::kNoMember;
  std::vector<dist::MemberId> replicated_to;
  bool backup = false;  // installed from a peer
};

class Replicator {
 public:
  explicit Replicator(ReplicatorConfig cfg);

  // --- from the orchestrator -------------------------------------------------------------
  void set_self(dist::MemberId id);
  void set_group(dist::Mode mode, std::uint32_t seed, std::vector<Peer> peers);
  // A committed table (TABLE_PUSH). Returns the stale backups to let expire in the kernel:
  // connections of buckets of which we are now neither owner nor successor. They are never
  // deleted outright: a member cannot tell a backup from a connection that runs through it
  // (conntrack reports no event for packets that change no state).
  KernelOps set_table(const dist::Table& t, TimePoint now);
  // A planned change (TABLE_PREPARE) of the table after the current one.
  void prepare(const dist::Table& next, TimePoint now);
  // The generation prepared and how many connections we handed over for it, once.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> take_prepared();

  // --- from the kernel ---------------------------------------------------------------------
  // A created or updated connection. Fields the event did not carry keep their last value.
  void on_conn(const Conn& c, bool has_timeout, bool has_tcp_state, TimePoint now);
  void on_destroyed(const ConnKey& k);
  // A full dump: refreshes timeouts (re-sends what traffic kept alive) and forgets
  // connections the kernel no longer has (their DESTROY event was lost).
  void on_dump(const std::vector<Conn>& all, TimePoint now);

  // --- from and to the peers -------------------------------------------------------------
  // An accepted message; kernel work and replies are appended.
  void on_message(const Message& m, TimePoint now, std::vector<Outgoing>& out, KernelOps& k);
  // A datagram dropped as wrong-session whose header is authentic: the peer speaks to an
  // earlier session of ours; ask it to resync (at most every 100 ms per peer).
  void on_wrong_session(const Header& h, TimePoint now, std::vector<Outgoing>& out);
  std::vector<Outgoing> poll(TimePoint now);
  TimePoint next_deadline() const;
  // Asks every peer, on our heartbeats, to re-send what it replicates to us (we just started).
  void want_resync(bool on);

  // --- queries ---------------------------------------------------------------------------
  std::optional<ConnView> view(const ConnKey& k) const;
  std::size_t connections() const { return cache_.size(); }
  std::size_t owned() const;
  std::size_t backups() const;
  bool in_sync() const;  // every stream acknowledged
  const std::map<dist::MemberId, PeerSender>& senders() const { return senders_; }
  const std::map<std::uint32_t, PeerReceiver>& receivers() const { return receivers_; }
  const std::vector<Peer>& peers() const { return peers_; }
  const ReplicatorCounters& counters() const { return counters_; }
  dist::MemberId self() const { return self_; }
  std::uint64_t generation() const { return table_ ? table_->generation() : 0; }
  std::optional<std::uint64_t> pending_generation() const {
    return pending_ ? std::optional(pending_->table.generation()) : std::nullopt;
  }

 private:
  struct Entry {
    Conn conn;
    std::uint32_t bucket = 0;
    TimePoint reported{};                  // when conn.timeout_s was read
    std::vector<dist::MemberId> targets;   // peers it is replicated to now
    bool backup = false;
  };
  struct Pending {
    dist::Table table;
    std::vector<ConnKey> handing;  // connections still to be acknowledged by their new owner
    std::uint64_t handed = 0;
    bool reported = false;
  };

  std::uint32_t bucket(const ConnKey& k) const;
  std::vector<dist::MemberId> targets_for(std::uint32_t bucket) const;
  void retarget(const ConnKey& k, Entry& e);
  void retarget_all();
  PeerSender& sender(dist::MemberId id);
  PeerReceiver& receiver(std::uint32_t node);
  std::size_t stream_share() const;
  const Peer* peer_by_node(std::uint32_t node) const;
  const Peer* peer_by_id(dist::MemberId id) const;
  void check_prepared();
  void apply_actions(const std::vector<Action>& actions, TimePoint now, KernelOps& k);

  ReplicatorConfig cfg_;
  dist::MemberId self_ = dist::kNoMember;
  dist::Mode mode_ = dist::Mode::general_l4;
  std::uint32_t seed_ = dist::kDefaultSeed;
  std::vector<Peer> peers_;
  std::optional<dist::Table> table_;
  std::vector<dist::MemberId> successors_;
  std::optional<Pending> pending_;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> prepared_;
  std::unordered_map<ConnKey, Entry, ConnKeyHash> cache_;
  std::map<dist::MemberId, PeerSender> senders_;
  std::map<std::uint32_t, PeerReceiver> receivers_;
  std::map<std::uint32_t, TimePoint> resync_asked_;
  std::uint8_t heartbeat_flags_ = 0;
  ReplicatorCounters counters_;
};

}  // namespace baton::sync
