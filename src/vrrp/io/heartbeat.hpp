// The sync-link peer-failure detector: pure, fed the time, returns effects.
//
// It sends a message every `interval` and declares the peer dead when nothing has come for
// the peer's detection time (its multiplier × its interval, as the peer's messages say).
// What the daemon does with that: PeerDown → the VRRP core's ev::PeerDown, which takes
// over only once the data-segment adverts have also been silent (adverts rule: a failed
// sync link alone never makes a second master). A peer that says it is not serving (its
// data link is down, it is in fault or resigning) is reported too (PeerNotServing). A peer
// whose host answers our messages with port unreachable and that is silent is gone
// (PeerGone): its daemon died and its kernel says so; the core takes over at once.
//
// Stall guard: if this detector itself was not run for longer than the detection time (the
// process was descheduled, the machine is saturated), silence during that gap is not
// evidence: the peer is given a fresh detection time from the moment we run again, and the
// stall is counted and its length recorded. The daemon reads its socket before judging
// deadlines, so messages queued during the stall are seen first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "vrrp/io/heartbeat_wire.hpp"

namespace baton::vrrp::io {

struct HeartbeatConfig {
  Duration interval = std::chrono::milliseconds(1);
  std::uint8_t multiplier = 3;  // ≥ 3
};

enum class PeerState : std::uint8_t { unknown, up, down };
std::string_view peer_state_name(PeerState s);

namespace hb {
struct Send {
  HeartbeatMessage message;
};
struct PeerUp {
  bool serving;
};
struct PeerDown {
  Duration silence;    // since the peer's last message
  Duration detection;  // the detection time it exceeded
};
// The peer's host answered our heartbeats with port unreachable and the peer has been silent
// for its detection time: its daemon is gone (killed, crashed, stopped) while its kernel runs.
// Unlike silence alone (which a stalled peer also produces), this is certain.
struct PeerGone {
  Duration silence;
};
struct PeerNotServing {  // the peer is alive but says it cannot hold the addresses
  bool was_serving;      // it said it was serving before (not a peer that starts up so)
};
struct Stalled {
  Duration gap;  // how long this detector was not run
};
}  // namespace hb
using HeartbeatEffect =
    std::variant<hb::Send, hb::PeerUp, hb::PeerDown, hb::PeerGone, hb::PeerNotServing, hb::Stalled>;
using HeartbeatEffects = std::vector<HeartbeatEffect>;

struct HeartbeatStats {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t peer_down = 0;   // times the peer was declared dead
  std::uint64_t peer_gone = 0;   // of those, times its daemon was known gone (port unreachable)
  std::uint64_t refused = 0;     // port-unreachable answers noted
  std::uint64_t stalls = 0;      // times our own gap exceeded the detection time
  Duration max_gap{0};           // longest gap between two runs of this detector
};

class HeartbeatDetector {
 public:
  HeartbeatDetector(HeartbeatConfig cfg, std::uint32_t my_id, TimePoint now);

  // What our messages say about us from now on.
  void set_local(bool serving, bool master);
  HeartbeatEffects on_receive(TimePoint now, const HeartbeatMessage& m);
  // Call at next_deadline() (and whenever convenient): sends when due, judges the peer.
  HeartbeatEffects on_tick(TimePoint now);
  // The link saw port unreachable from the peer (HeartbeatLink::take_refused). Alone it
  // proves nothing (a firewall on the peer may reject one way); with the peer silent for its
  // detection time it makes the verdict PeerGone instead of PeerDown, now or at the deadline.
  HeartbeatEffects on_refused(TimePoint now);
  TimePoint next_deadline() const;

  PeerState peer() const { return peer_; }
  bool peer_serving() const { return peer_serving_; }
  Duration detection_time() const;
  const HeartbeatStats& stats() const { return stats_; }

 private:
  void note_run(TimePoint now, HeartbeatEffects& out);
  void report_gone(TimePoint now, HeartbeatEffects& out);

  HeartbeatConfig cfg_;
  std::uint32_t my_id_;
  std::uint32_t seq_ = 0;
  bool serving_ = true;
  bool master_ = false;
  TimePoint next_tx_;
  TimePoint last_run_;
  TimePoint last_rx_{};
  PeerState peer_ = PeerState::unknown;
  bool peer_serving_ = false;
  bool refused_ = false;       // port unreachable since the peer's last message
  bool gone_reported_ = false;  // PeerGone given for this silence
  std::uint32_t peer_id_ = 0;
  Duration peer_interval_{0};
  std::uint8_t peer_multiplier_ = 0;
  HeartbeatStats stats_;
};

}  // namespace baton::vrrp::io
