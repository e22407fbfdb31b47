#include "sync/replicator.hpp"

#include <algorithm>
#include <unordered_set>

namespace baton::sync {

namespace {
bool contains(const std::vector<dist::MemberId>& v, dist::MemberId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}
}  // namespace

Replicator::Replicator(ReplicatorConfig cfg) : cfg_(std::move(cfg)) {
  if (cfg_.expected_connections > 0) cache_.reserve(cfg_.expected_connections);
}

// --- orchestrator --------------------------------------------------------------------------

void Replicator::set_self(dist::MemberId id) {
  if (self_ == id) return;
  self_ = id;
  retarget_all();
}

void Replicator::set_group(dist::Mode mode, std::uint32_t seed, std::vector<Peer> peers) {
  bool rehash = mode != mode_ || seed != seed_;
  mode_ = mode;
  seed_ = seed;
  if (peers == peers_ && !rehash) return;
  peers_ = std::move(peers);
  if (rehash && table_)
    for (auto& [k, e] : cache_) e.bucket = bucket(k);
  retarget_all();
}

KernelOps Replicator::set_table(const dist::Table& t, TimePoint now) {
  (void)now;
  KernelOps k;
  if (table_ && table_->generation() == t.generation() && table_->same_buckets(t)) return k;
  bool resize = !table_ || table_->size() != t.size();
  table_ = t;
  successors_ = t.successors();
  ++counters_.tables;
  if (pending_ && t.generation() >= pending_->table.generation()) pending_.reset();
  if (resize)
    for (auto& [key, e] : cache_) e.bucket = bucket(key);
  retarget_all();
  if (self_ == dist::kNoMember) return k;
  // Backups of buckets we neither own nor inherit any more are stale: the connection lives
  // on its owner and its new successor.
  for (auto& [node, r] : receivers_) {
    auto gone = r.clear_keys_if([&](const ConnKey& key, std::uint64_t) {
      std::uint32_t b = bucket(key);
      return table_->owner(b) != self_ && successors_[b] != self_;
    });
    for (const auto& key : gone) {
      k.expire.push_back(key);
      ++counters_.stale_expired;
    }
  }
  return k;
}

void Replicator::prepare(const dist::Table& next, TimePoint now) {
  (void)now;
  if (pending_ && pending_->table.generation() == next.generation()) return;  // sent again
  if (table_ && next.generation() <= table_->generation()) return;            // old news
  pending_ = Pending{next, {}, 0, false};
  prepared_.reset();
  ++counters_.prepares;
  if (table_ && self_ != dist::kNoMember && next.size() == table_->size()) {
    for (const auto& [key, e] : cache_) {
      if (table_->owner(e.bucket) != self_) continue;
      auto to = next.owner(e.bucket);
      if (to == self_ || to == dist::kNoMember || peer_by_id(to) == nullptr) continue;
      pending_->handing.push_back(key);
    }
  }
  pending_->handed = pending_->handing.size();
  retarget_all();
  check_prepared();
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> Replicator::take_prepared() {
  auto p = prepared_;
  prepared_.reset();
  return p;
}

void Replicator::check_prepared() {
  if (!pending_ || pending_->reported) return;
  auto& h = pending_->handing;
  h.erase(std::remove_if(h.begin(), h.end(),
                         [&](const ConnKey& key) {
                           auto it = cache_.find(key);
                           if (it == cache_.end()) return true;  // ended meanwhile
                           auto to = pending_->table.owner(it->second.bucket);
                           auto s = senders_.find(to);
                           return s == senders_.end() || s->second.acked(key);
                         }),
          h.end());
  if (!h.empty()) return;
  pending_->reported = true;
  prepared_ = std::pair{pending_->table.generation(), pending_->handed};
}

// --- kernel -----------------------------------------------------------------------------

void Replicator::on_conn(const Conn& c, bool has_timeout, bool has_tcp_state, TimePoint now) {
  ++counters_.conns_seen;
  auto [it, fresh] = cache_.try_emplace(c.key);
  Entry& e = it->second;
  Conn merged = c;
  if (!fresh) {
    if (!has_timeout) merged.timeout_s = e.conn.timeout_s;
    if (!has_tcp_state) merged.tcp_state = e.conn.tcp_state;
  }
  if (fresh || has_timeout) e.reported = now;
  if (fresh) e.bucket = bucket(c.key);
  e.backup = false;  // the kernel's packet path touched it: it carries traffic here
  bool same = !fresh && merged == e.conn;
  e.conn = merged;
  if (fresh) {
    retarget(c.key, e);
  } else if (!same) {
    for (auto t : e.targets) sender(t).upsert(e.conn);
  }
}

void Replicator::on_destroyed(const ConnKey& k) {
  auto it = cache_.find(k);
  if (it == cache_.end()) return;
  ++counters_.conns_destroyed;
  for (auto t : it->second.targets) sender(t).remove(k);
  cache_.erase(it);
}

void Replicator::on_dump(const std::vector<Conn>& all, TimePoint now) {
  std::unordered_set<ConnKey, ConnKeyHash> present;
  present.reserve(all.size());
  for (const auto& c : all) {
    present.insert(c.key);
    auto it = cache_.find(c.key);
    if (it == cache_.end()) {
      on_conn(c, true, true, now);
      continue;
    }
    Entry& e = it->second;
    auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(now - e.reported).count();
    std::int64_t expected = static_cast<std::int64_t>(e.conn.timeout_s) - elapsed;
    bool refreshed = static_cast<std::int64_t>(c.timeout_s) > expected + cfg_.refresh_slack_s;
    bool changed = c.tcp_state != e.conn.tcp_state || c.status != e.conn.status ||
                   c.mark != e.conn.mark || c.reply != e.conn.reply;
    if (!refreshed && !changed) continue;
    if (refreshed) ++counters_.refreshed;
    e.conn = c;
    e.reported = now;
    for (auto t : e.targets) sender(t).upsert(e.conn);
  }
  std::vector<ConnKey> gone;
  for (const auto& [k, e] : cache_)
    if (!present.count(k)) gone.push_back(k);
  for (const auto& k : gone) on_destroyed(k);
}

// --- peers -------------------------------------------------------------------------------

void Replicator::on_message(const Message& m, TimePoint now, std::vector<Outgoing>& out,
                            KernelOps& k) {
  const Peer* p = peer_by_node(m.header.sender_id);
  if (p == nullptr) {
    ++counters_.unknown_sender;
    return;
  }
  const dist::MemberId id = p->id;
  const std::uint32_t node = p->node_id;
  sender(id).on_peer_epoch(m.header.sender_epoch);
  if (const auto* u = std::get_if<Update>(&m.body)) {
    auto applied = receiver(node).on_update(m.header.sender_epoch, *u, now);
    apply_actions(applied.actions, now, k);
    if (applied.ack) out.push_back(std::move(*applied.ack));
  } else if (const auto* a = std::get_if<Ack>(&m.body)) {
    sender(id).on_ack(*a, now);
    check_prepared();
  } else if (const auto* hb = std::get_if<Heartbeat>(&m.body)) {
    sender(id).on_heartbeat_flags(hb->flags);
    if (auto ack = receiver(node).on_heartbeat(m.header.sender_epoch, *hb, now))
      out.push_back(std::move(*ack));
  } else if (std::holds_alternative<ResyncRequest>(m.body)) {
    sender(id).on_resync_request();
  }
}

void Replicator::on_wrong_session(const Header& h, TimePoint now, std::vector<Outgoing>& out) {
  const Peer* p = peer_by_node(h.sender_id);
  if (p == nullptr) return;
  auto& last = resync_asked_[p->node_id];
  if (last != TimePoint{} && now - last < std::chrono::milliseconds(100)) return;
  last = now;
  out.push_back(receiver(p->node_id).resync_request());
}

void Replicator::apply_actions(const std::vector<Action>& actions, TimePoint now, KernelOps& k) {
  for (const auto& a : actions) {
    if (const auto* in = std::get_if<Install>(&a)) {
      k.install.push_back(in->conn);
      auto [it, fresh] = cache_.try_emplace(in->conn.key);
      Entry& e = it->second;
      e.conn = in->conn;
      e.reported = now;
      e.backup = true;
      if (fresh) e.bucket = bucket(in->conn.key);
      retarget(in->conn.key, e);  // we may own its bucket already (a takeover)
      for (auto t : e.targets) sender(t).upsert(e.conn);
    } else {
      const auto& key = std::get<Remove>(a).key;
      k.remove.push_back(key);
      on_destroyed(key);
    }
  }
}

std::vector<Outgoing> Replicator::poll(TimePoint now) {
  check_prepared();
  std::vector<Outgoing> out;
  for (auto& [id, s] : senders_) {
    auto o = s.poll(now);
    out.insert(out.end(), std::make_move_iterator(o.begin()), std::make_move_iterator(o.end()));
  }
  return out;
}

TimePoint Replicator::next_deadline() const {
  TimePoint t = TimePoint::max();
  for (const auto& [id, s] : senders_) t = std::min(t, s.next_deadline());
  return t;
}

void Replicator::want_resync(bool on) {
  heartbeat_flags_ = on ? kHeartbeatWantResync : 0;
  for (auto& [id, s] : senders_) s.set_heartbeat_flags(heartbeat_flags_);
}

// --- the rule ------------------------------------------------------------------------------

std::uint32_t Replicator::bucket(const ConnKey& k) const {
  return table_ ? bucket_of(k, mode_, seed_, table_->size()) : 0;
}

std::vector<dist::MemberId> Replicator::targets_for(std::uint32_t b) const {
  std::vector<dist::MemberId> out;
  if (!table_ || self_ == dist::kNoMember || b >= table_->size()) return out;
  if (table_->owner(b) != self_) return out;
  auto add = [&](dist::MemberId id) {
    if (id != self_ && id != dist::kNoMember && peer_by_id(id) && !contains(out, id))
      out.push_back(id);
  };
  add(successors_[b]);
  if (pending_ && b < pending_->table.size()) add(pending_->table.owner(b));
  return out;
}

void Replicator::retarget(const ConnKey& k, Entry& e) {
  auto next = targets_for(e.bucket);
  for (auto t : e.targets)
    if (!contains(next, t)) sender(t).forget(k);
  for (auto t : next)
    if (!contains(e.targets, t)) sender(t).upsert(e.conn);
  e.targets = std::move(next);
}

void Replicator::retarget_all() {
  for (auto& [k, e] : cache_) retarget(k, e);
}

// Room for one stream: the connections are spread over the other members taking part.
std::size_t Replicator::stream_share() const {
  return cfg_.expected_connections / (peers_.size() > 1 ? peers_.size() - 1 : 1);
}

PeerSender& Replicator::sender(dist::MemberId id) {
  auto it = senders_.find(id);
  if (it != senders_.end()) return it->second;
  PeerSenderConfig c = cfg_.sender;
  const Peer* p = peer_by_id(id);
  c.peer_id = p ? p->node_id : 0;
  if (c.expected_connections == 0) c.expected_connections = stream_share();
  auto& s = senders_.emplace(id, PeerSender(c)).first->second;
  s.set_heartbeat_flags(heartbeat_flags_);
  return s;
}

PeerReceiver& Replicator::receiver(std::uint32_t node) {
  auto it = receivers_.find(node);
  if (it != receivers_.end()) return it->second;
  PeerReceiverConfig c = cfg_.receiver;
  c.sender_id = node;
  if (c.expected_connections == 0) c.expected_connections = stream_share();
  return receivers_.emplace(node, PeerReceiver(c)).first->second;
}

const Peer* Replicator::peer_by_node(std::uint32_t node) const {
  for (const auto& p : peers_)
    if (p.node_id == node && p.id != self_) return &p;
  return nullptr;
}

const Peer* Replicator::peer_by_id(dist::MemberId id) const {
  for (const auto& p : peers_)
    if (p.id == id && id != self_) return &p;
  return nullptr;
}

// --- queries -----------------------------------------------------------------------------

std::optional<ConnView> Replicator::view(const ConnKey& k) const {
  ConnView v;
  v.conn.key = k;
  if (table_) {
    v.bucket = bucket(k);
    v.owner = table_->owner(v.bucket);
    v.successor = successors_[v.bucket];
  }
  auto it = cache_.find(k);
  if (it == cache_.end()) return v;
  v.conn = it->second.conn;
  v.replicated_to = it->second.targets;
  v.backup = it->second.backup;
  return v;
}

std::size_t Replicator::owned() const {
  if (!table_) return 0;
  std::size_t n = 0;
  for (const auto& [k, e] : cache_) n += table_->owner(e.bucket) == self_;
  return n;
}

std::size_t Replicator::backups() const {
  std::size_t n = 0;
  for (const auto& [k, e] : cache_) n += e.backup;
  return n;
}

bool Replicator::in_sync() const {
  for (const auto& [id, s] : senders_)
    if (!s.in_sync()) return false;
  return true;
}

}  // namespace baton::sync
