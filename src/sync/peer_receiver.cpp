#include "sync/peer_receiver.hpp"

namespace baton::sync {

PeerReceiver::PeerReceiver(PeerReceiverConfig cfg) : cfg_(cfg) {
  if (cfg_.sender_id == 0) panic("sync::PeerReceiver needs a non-zero sender id");
  if (cfg_.expected_connections > 0) held_.reserve(cfg_.expected_connections);
}

bool PeerReceiver::accept_epoch(std::uint64_t epoch) {
  if (epoch < epoch_) return false;  // an older session: the Gate drops these; ignore anyway
  if (epoch == epoch_) return true;
  if (epoch_ != kUnknownEpoch) {
    // The sender restarted: its data_seqs and versions start again from 1. Keep the keys
    // (the kernel still holds them) at version 0, so anything the new session sends wins,
    // and drop the tombstones, which speak in the old session's versions.
    ++counters_.sender_restarts;
    for (auto it = held_.begin(); it != held_.end();) {
      if (it->second.removed) {
        it = held_.erase(it);
      } else {
        it->second.version = 0;
        ++it;
      }
    }
    tombstone_queue_.clear();
    tombstones_live_ = 0;
  }
  epoch_ = epoch;
  next_expected_ = 1;
  above_.clear();
  return true;
}

void PeerReceiver::skip_to(std::uint64_t floor) {
  if (floor <= next_expected_) return;
  next_expected_ = floor;
  above_.erase(above_.begin(), above_.lower_bound(next_expected_));
  while (!above_.empty() && *above_.begin() == next_expected_) {
    above_.erase(above_.begin());
    ++next_expected_;
  }
}

void PeerReceiver::received(std::uint64_t data_seq) {
  if (data_seq < next_expected_ || above_.count(data_seq) != 0) {
    ++counters_.duplicates;
  } else if (data_seq == next_expected_) {
    skip_to(data_seq + 1);
  } else if (above_.size() < cfg_.max_out_of_order) {
    above_.insert(data_seq);
  } else {
    // Not acknowledged, so the sender re-sends these connections; their records are applied
    // all the same, and applying them again later changes nothing.
    ++counters_.out_of_order_full;
  }
}

void PeerReceiver::bury(const ConnKey& k, TimePoint when) {
  tombstone_queue_.emplace_back(when, k);
  ++tombstones_live_;
}

void PeerReceiver::apply(const Record& r, TimePoint now, std::vector<Action>& actions) {
  const ConnKey& k = r.conn.key;
  auto it = held_.find(k);
  if (it != held_.end() && r.version <= it->second.version) {
    ++counters_.records_stale;
    return;
  }
  ++counters_.records_applied;
  bool was_tombstone = it != held_.end() && it->second.removed;
  if (r.op == Op::upsert) {
    if (was_tombstone) --tombstones_live_;  // its queue entry is skipped when it comes due
    held_[k] = Held{r.version, false, {}};
    actions.push_back(Install{r.conn});
    ++counters_.installs;
    return;
  }
  // A key we do not hold may still be in the kernel (from before our restart): remove it.
  if (!was_tombstone) {
    actions.push_back(Remove{k});
    ++counters_.removes;
    bury(k, now);
  } else {
    tombstone_queue_.emplace_back(now, k);  // the newer remove restarts the tombstone's clock
  }
  held_[k] = Held{r.version, true, now};
}

void PeerReceiver::expire(TimePoint now) {
  while (!tombstone_queue_.empty() &&
         (tombstone_queue_.front().first + cfg_.tombstone_ttl <= now ||
          tombstones_live_ > cfg_.max_tombstones)) {
    auto [when, k] = tombstone_queue_.front();
    tombstone_queue_.pop_front();
    auto it = held_.find(k);
    // Only the queue entry of the tombstone's latest burial removes it.
    if (it == held_.end() || !it->second.removed || it->second.removed_at != when) continue;
    held_.erase(it);
    --tombstones_live_;
    ++counters_.tombstones_expired;
  }
}

Outgoing PeerReceiver::ack() {
  ++counters_.acks;
  Ack a;
  a.cumulative = next_expected_ - 1;
  for (auto seq : above_) {
    if (!a.received.empty() && a.received.back().last + 1 == seq) {
      a.received.back().last = seq;
    } else {
      if (a.received.size() == kMaxAckRanges) break;
      a.received.push_back({seq, seq});
    }
  }
  return Outgoing{cfg_.sender_id, epoch_, Body{std::move(a)}};
}

Applied PeerReceiver::on_update(std::uint64_t sender_epoch, const Update& u, TimePoint now) {
  Applied out;
  if (!accept_epoch(sender_epoch)) return out;
  ++counters_.updates;
  expire(now);
  skip_to(u.floor);
  received(u.data_seq);
  for (const auto& r : u.records) apply(r, now, out.actions);
  expire(now);  // keeps max_tombstones
  out.ack = ack();
  return out;
}

std::optional<Outgoing> PeerReceiver::on_heartbeat(std::uint64_t sender_epoch,
                                                   const Heartbeat& hb, TimePoint now) {
  if (!accept_epoch(sender_epoch)) return std::nullopt;
  expire(now);
  skip_to(hb.floor);
  return ack();
}

Outgoing PeerReceiver::resync_request() const {
  return Outgoing{cfg_.sender_id, epoch_, Body{ResyncRequest{}}};
}

std::vector<ConnKey> PeerReceiver::clear_keys_if(
    const std::function<bool(const ConnKey&, std::uint64_t)>& pred) {
  std::vector<ConnKey> cleared;
  for (auto it = held_.begin(); it != held_.end();) {
    if (!it->second.removed && pred(it->first, it->second.version)) {
      cleared.push_back(it->first);
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  return cleared;
}

std::vector<HeldConn> PeerReceiver::held() const {
  std::vector<HeldConn> out;
  out.reserve(held_count());
  for (const auto& [k, h] : held_)
    if (!h.removed) out.push_back({k, h.version});
  return out;
}

std::optional<std::uint64_t> PeerReceiver::held_version(const ConnKey& k) const {
  auto it = held_.find(k);
  if (it == held_.end() || it->second.removed) return std::nullopt;
  return it->second.version;
}

}  // namespace baton::sync
