#include "vrrp/io/heartbeat.hpp"

#include <algorithm>

namespace baton::vrrp::io {

std::string_view peer_state_name(PeerState s) {
  switch (s) {
    case PeerState::unknown: return "unknown";
    case PeerState::up: return "up";
    case PeerState::down: return "down";
  }
  return "?";
}

HeartbeatDetector::HeartbeatDetector(HeartbeatConfig cfg, std::uint32_t my_id, TimePoint now)
    : cfg_(cfg), my_id_(my_id), next_tx_(now), last_run_(now) {}

void HeartbeatDetector::set_local(bool serving, bool master) {
  serving_ = serving;
  master_ = master;
}

Duration HeartbeatDetector::detection_time() const {
  if (peer_multiplier_ == 0) return cfg_.interval * cfg_.multiplier;
  return peer_interval_ * peer_multiplier_;
}

void HeartbeatDetector::note_run(TimePoint now, HeartbeatEffects& out) {
  Duration gap = now - last_run_;
  last_run_ = now;
  stats_.max_gap = std::max(stats_.max_gap, gap);
  if (gap > detection_time()) {
    ++stats_.stalls;
    out.emplace_back(hb::Stalled{gap});
    // Silence while we were not running proves nothing: restart the peer's clock.
    if (peer_ == PeerState::up) last_rx_ = now;
  }
}

HeartbeatEffects HeartbeatDetector::on_receive(TimePoint now, const HeartbeatMessage& m) {
  HeartbeatEffects out;
  if (m.sender == my_id_) return out;  // our own, looped back
  note_run(now, out);
  ++stats_.received;
  last_rx_ = now;
  refused_ = false;
  gone_reported_ = false;
  peer_interval_ = std::chrono::microseconds(m.interval_us);
  peer_multiplier_ = m.multiplier;
  bool was_serving = peer_serving_;
  bool new_session = m.sender != peer_id_;
  peer_id_ = m.sender;
  peer_serving_ = m.serving;
  if (peer_ != PeerState::up) {
    peer_ = PeerState::up;
    out.emplace_back(hb::PeerUp{m.serving});
    if (!m.serving) out.emplace_back(hb::PeerNotServing{false});
  } else if ((was_serving || new_session) && !m.serving) {
    out.emplace_back(hb::PeerNotServing{was_serving && !new_session});
  }
  return out;
}

HeartbeatEffects HeartbeatDetector::on_tick(TimePoint now) {
  HeartbeatEffects out;
  note_run(now, out);
  if (peer_ == PeerState::up && now - last_rx_ > detection_time()) {
    peer_ = PeerState::down;
    peer_serving_ = false;
    ++stats_.peer_down;
    if (refused_) {
      report_gone(now, out);
    } else {
      out.emplace_back(hb::PeerDown{now - last_rx_, detection_time()});
    }
  }
  if (now >= next_tx_) {
    HeartbeatMessage m;
    m.serving = serving_;
    m.master = master_;
    m.sender = my_id_;
    m.seq = ++seq_;
    m.interval_us = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(cfg_.interval).count());
    m.multiplier = cfg_.multiplier;
    out.emplace_back(hb::Send{m});
    ++stats_.sent;
    next_tx_ = now + cfg_.interval;
  }
  return out;
}

HeartbeatEffects HeartbeatDetector::on_refused(TimePoint now) {
  HeartbeatEffects out;
  ++stats_.refused;
  refused_ = true;
  // Already declared down on silence: now we know why.
  if (peer_ == PeerState::down && !gone_reported_) report_gone(now, out);
  return out;
}

void HeartbeatDetector::report_gone(TimePoint now, HeartbeatEffects& out) {
  gone_reported_ = true;
  ++stats_.peer_gone;
  out.emplace_back(hb::PeerGone{now - last_rx_});
}

TimePoint HeartbeatDetector::next_deadline() const {
  TimePoint t = next_tx_;
  if (peer_ == PeerState::up) {
    // One nanosecond past the detection time: "more than" the detection time.
    t = std::min(t, last_rx_ + detection_time() + Duration{1});
  }
  return t;
}

}  // namespace baton::vrrp::io
