#include "sync/peer_sender.hpp"

#include <algorithm>
#include <cmath>

namespace baton::sync {
namespace {

// An UPDATE counts as lost once one sent this many data_seqs after it is acknowledged: the
// receiver acks every UPDATE, so a gap that long is loss rather than reordering (TCP's
// duplicate-ack threshold, with selective acks).
constexpr std::uint64_t kLossThreshold = 3;

Duration seconds_to_duration(double s) {
  return Duration(static_cast<Duration::rep>(std::ceil(s * 1e9)));
}

}  // namespace

PeerSender::PeerSender(PeerSenderConfig cfg) : cfg_(cfg), tokens_(cfg.burst_records) {
  if (cfg_.peer_id == 0) panic("sync::PeerSender needs a non-zero peer id");
  if (cfg_.window == 0) panic("sync::PeerSender needs a window of at least one UPDATE");
  if (cfg_.expected_connections > 0) conns_.reserve(cfg_.expected_connections);
  // The largest record (an IPv6 upsert) must fit, or some connection could never be sent.
  if (cfg_.budget < kHeaderBytes + kUpdateFixedBytes + kMacBytes + 98 ||
      cfg_.budget > kMaxSyncDatagram)
    panic("sync::PeerSender: budget must hold an IPv6 upsert and fit one datagram");
  if (cfg_.rto <= Duration{0} || cfg_.rto_max < cfg_.rto)
    panic("sync::PeerSender: needs 0 < rto <= rto_max");
  if (cfg_.records_per_second > 0 && cfg_.burst_records < 1)
    panic("sync::PeerSender: a rate limit needs a burst of at least one record");
}

void PeerSender::mark_dirty(const ConnKey& k, Entry& e) {
  if (!e.dirty) {
    e.dirty = true;
    ++dirty_;
  }
  if (!e.queued) {
    e.queued = true;
    dirty_queue_.push_back(k);
  }
  // forget() leaves its keys in the queue; keep them from piling up when connections come and
  // go faster than poll() drains the queue. Entries are unmarked, then re-marked once each.
  if (dirty_queue_.size() > 2 * conns_.size() + 1024) {
    std::deque<ConnKey> kept;
    for (const auto& key : dirty_queue_) {
      auto it = conns_.find(key);
      if (it != conns_.end() && it->second.queued) {
        it->second.queued = false;
        kept.push_back(key);
      }
    }
    for (const auto& key : kept) conns_.find(key)->second.queued = true;
    dirty_queue_ = std::move(kept);
  }
}

void PeerSender::upsert(const Conn& c) {
  auto [it, fresh] = conns_.try_emplace(c.key);
  Entry& e = it->second;
  if (!fresh && !e.removed && e.conn == c) return;
  if (fresh && peer_epoch_ == kUnknownEpoch) e.may_hold = true;
  e.conn = c;
  e.removed = false;
  e.version = next_version_++;
  e.retransmit = false;
  mark_dirty(c.key, e);
}

void PeerSender::remove(const ConnKey& k) {
  auto it = conns_.find(k);
  if (it == conns_.end() || it->second.removed) return;
  Entry& e = it->second;
  if (!e.may_hold) {  // nothing to tell
    forget(k);
    return;
  }
  e.conn = Conn{};
  e.conn.key = k;
  e.removed = true;
  e.version = next_version_++;
  e.retransmit = false;
  mark_dirty(k, e);
}

void PeerSender::forget(const ConnKey& k) {
  auto it = conns_.find(k);
  if (it == conns_.end()) return;
  if (it->second.dirty) --dirty_;
  conns_.erase(it);  // its key may stay in dirty_queue_ and in outstanding_: both skip it
}

void PeerSender::resync() {
  ++counters_.resyncs;
  for (auto& [k, e] : conns_) {
    e.acked_version = 0;  // the peer may have lost everything: acked() waits for a new ack
    mark_dirty(k, e);
  }
}

void PeerSender::on_peer_epoch(std::uint64_t epoch) {
  if (epoch == kUnknownEpoch || epoch <= peer_epoch_) return;
  bool restarted = peer_epoch_ != kUnknownEpoch;
  peer_epoch_ = epoch;
  if (!restarted) return;  // first contact: no UPDATE went out yet, everything is dirty
  // The new session drops whatever names the old one, and its receiver starts from nothing:
  // give up every message in flight (the next floor skips them) and send everything again.
  ++counters_.peer_restarts;
  outstanding_.clear();
  highest_acked_ = 0;
  resynced_epoch_ = epoch;
  resync();
}

void PeerSender::on_heartbeat_flags(std::uint8_t flags) {
  if ((flags & kHeartbeatWantResync) == 0 || resynced_epoch_ == peer_epoch_) return;
  resynced_epoch_ = peer_epoch_;
  resync();
}

void PeerSender::credit(const Sent& s) {
  for (const auto& [k, version] : s.items) {
    auto it = conns_.find(k);
    if (it == conns_.end()) continue;
    Entry& e = it->second;
    e.acked_version = std::max(e.acked_version, version);
    if (e.removed && !e.dirty && e.acked_version == e.version) conns_.erase(it);
  }
}

void PeerSender::sample(Duration rtt) {
  if (rtt < Duration{0}) rtt = Duration{0};
  if (srtt_ == Duration{0} && rttvar_ == Duration{0}) {  // the first sample (RFC 6298 2.2)
    srtt_ = rtt;
    rttvar_ = rtt / 2;
  } else {  // RFC 6298 2.3: beta 1/4, alpha 1/8
    const Duration dev = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
    rttvar_ += (dev - rttvar_) / 4;
    srtt_ += (rtt - srtt_) / 8;
  }
  backoff_ = 0;
}

Duration PeerSender::base_rto() const {
  Duration r = std::max(srtt_ + 4 * rttvar_, 2 * srtt_);
  return std::clamp(r, cfg_.rto, cfg_.rto_max);
}

Duration PeerSender::rto() const {
  Duration r = base_rto();
  for (unsigned i = 0; i < backoff_ && r < cfg_.rto_max; ++i) r *= 2;
  return std::min(r, cfg_.rto_max);
}

// A message's RTO is the one it was sent with, or the current one if the round trip has grown
// since: a backlog building up at the peer extends what is already in flight.
TimePoint PeerSender::expiry(const Sent& s) const { return s.at + std::max(s.rto, base_rto()); }

void PeerSender::lose(std::uint64_t data_seq, const Sent& s) {
  ++counters_.messages_lost;
  for (const auto& [k, version] : s.items) {
    auto it = conns_.find(k);
    if (it == conns_.end()) continue;
    Entry& e = it->second;
    // Re-send only what this message was the latest carrier of and the peer lacks; a
    // connection changed since is dirty already or travels in a newer message.
    if (e.sent_in != data_seq || e.dirty || e.acked_version >= e.version) continue;
    e.retransmit = true;
    mark_dirty(k, e);
  }
}

void PeerSender::lose_up_to(std::uint64_t below) {
  while (!outstanding_.empty() && outstanding_.begin()->first < below) {
    auto node = outstanding_.extract(outstanding_.begin());
    lose(node.key(), node.mapped());
  }
}

void PeerSender::on_ack(const Ack& a, TimePoint now) {
  ++counters_.acks_received;
  const std::uint64_t last_sent = next_data_seq_ - 1;
  std::uint64_t top = a.cumulative;
  if (!a.received.empty()) top = a.received.back().last;
  if (top > last_sent) {  // a confused peer: believing it could hide a loss
    ++counters_.acks_ignored;
    return;
  }
  // One round-trip sample per ack, from the newest message it newly acknowledges: the one
  // this ack answers (an older one credited here had its own ack lost or reordered, and its
  // sample would overstate the round trip). Only messages still awaited count (Karn).
  std::optional<TimePoint> newest;
  while (!outstanding_.empty() && outstanding_.begin()->first <= a.cumulative) {
    auto node = outstanding_.extract(outstanding_.begin());
    credit(node.mapped());
    newest = node.mapped().at;
  }
  for (const auto& r : a.received) {
    auto it = outstanding_.lower_bound(r.first);
    while (it != outstanding_.end() && it->first <= r.last) {
      credit(it->second);
      newest = newest ? std::max(*newest, it->second.at) : it->second.at;
      it = outstanding_.erase(it);
    }
  }
  if (newest) sample(now - *newest);
  highest_acked_ = std::max(highest_acked_, top);
  if (highest_acked_ >= kLossThreshold) lose_up_to(highest_acked_ - kLossThreshold + 1);
}

std::uint64_t PeerSender::floor() const {
  return outstanding_.empty() ? next_data_seq_ : outstanding_.begin()->first;
}

std::optional<Outgoing> PeerSender::next_update(TimePoint now) {
  std::size_t limit = kMaxRecords;
  if (cfg_.records_per_second > 0)
    limit = std::min(limit, static_cast<std::size_t>(std::max(tokens_, 0.0)));
  Update u;
  u.data_seq = next_data_seq_;
  u.floor = floor();
  Sent sent{now, rto(), {}};
  std::size_t used = kHeaderBytes + kUpdateFixedBytes + kMacBytes;
  while (!dirty_queue_.empty() && u.records.size() < limit) {
    const ConnKey k = dirty_queue_.front();
    auto it = conns_.find(k);
    if (it == conns_.end() || !it->second.queued) {
      dirty_queue_.pop_front();
      continue;
    }
    Entry& e = it->second;
    if (!e.dirty) {
      e.queued = false;
      dirty_queue_.pop_front();
      continue;
    }
    Record r{e.removed ? Op::remove : Op::upsert, e.version, e.conn};
    std::size_t size = record_wire_size(r);
    if (used + size > cfg_.budget) break;
    used += size;
    dirty_queue_.pop_front();
    e.queued = false;
    e.dirty = false;
    --dirty_;
    e.sent_in = u.data_seq;
    e.may_hold = true;
    if (e.retransmit) {
      ++counters_.records_retransmitted;
      e.retransmit = false;
    }
    sent.items.emplace_back(k, e.version);
    u.records.push_back(std::move(r));
  }
  if (u.records.empty()) return std::nullopt;

  ++next_data_seq_;
  ++counters_.updates_sent;
  counters_.records_sent += u.records.size();
  if (cfg_.records_per_second > 0) tokens_ -= static_cast<double>(u.records.size());
  outstanding_.emplace(u.data_seq, std::move(sent));
  last_sent_ = now;
  sent_any_ = true;
  return Outgoing{cfg_.peer_id, peer_epoch_, Body{std::move(u)}};
}

Outgoing PeerSender::heartbeat_out() {
  ++counters_.heartbeats_sent;
  return Outgoing{cfg_.peer_id, peer_epoch_, Body{Heartbeat{next_data_seq_, floor(), heartbeat_flags_}}};
}

std::vector<Outgoing> PeerSender::poll(TimePoint now) {
  if (now > last_poll_) {
    if (cfg_.records_per_second > 0)
      tokens_ = std::min(cfg_.burst_records,
                         tokens_ + cfg_.records_per_second *
                                       std::chrono::duration<double>(now - last_poll_).count());
    last_poll_ = now;
  }
  // Messages are sent in data_seq order; the timed-out ones are taken as a prefix (a later
  // message sent with a shorter RTO waits for the ones before it: never early).
  bool timed_out = false;
  while (!outstanding_.empty() && expiry(outstanding_.begin()->second) <= now) {
    auto node = outstanding_.extract(outstanding_.begin());
    ++counters_.messages_timed_out;
    lose(node.key(), node.mapped());
    timed_out = true;
  }
  if (timed_out && rto() < cfg_.rto_max) ++backoff_;  // Karn: back off until the next sample

  std::vector<Outgoing> out;
  if (peer_epoch_ != kUnknownEpoch) {
    while (dirty_ > 0 && outstanding_.size() < cfg_.window) {
      auto u = next_update(now);
      if (!u) break;
      out.push_back(std::move(*u));
    }
  }
  if (out.empty() && (!sent_any_ || now - last_sent_ >= cfg_.heartbeat)) {
    out.push_back(heartbeat_out());
    last_sent_ = now;
    sent_any_ = true;
  }
  return out;
}

TimePoint PeerSender::next_deadline() const {
  TimePoint t = sent_any_ ? last_sent_ + cfg_.heartbeat : last_poll_;
  if (!outstanding_.empty()) t = std::min(t, expiry(outstanding_.begin()->second));
  if (peer_epoch_ != kUnknownEpoch && dirty_ > 0 && outstanding_.size() < cfg_.window) {
    if (cfg_.records_per_second <= 0 || tokens_ >= 1)
      t = std::min(t, last_poll_);
    else
      t = std::min(t, last_poll_ + seconds_to_duration((1 - tokens_) / cfg_.records_per_second));
  }
  return t;
}

bool PeerSender::acked(const ConnKey& k) const {
  auto it = conns_.find(k);
  if (it == conns_.end()) return false;
  const Entry& e = it->second;
  return !e.removed && !e.dirty && e.acked_version == e.version;
}

std::optional<std::uint64_t> PeerSender::version(const ConnKey& k) const {
  auto it = conns_.find(k);
  if (it == conns_.end() || it->second.removed) return std::nullopt;
  return it->second.version;
}

}  // namespace baton::sync
