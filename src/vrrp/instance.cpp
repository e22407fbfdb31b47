#include "vrrp/instance.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

namespace baton::vrrp {
namespace {

constexpr Duration centiseconds(std::uint16_t cs) { return std::chrono::milliseconds(cs * 10); }

std::string ms(Duration d) {
  return fmt::format("{:.3f} ms", static_cast<double>(d.count()) / 1e6);
}

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

Result<Instance> Instance::create(Config config) {
  if (auto st = check_config(config); !st) return st.error();
  return Instance(std::move(config));
}

Instance::Instance(Config c)
    : cfg_(std::move(c)),
      adver_interval_(centiseconds(cfg_.adver_interval_cs)),
      master_adver_interval_(adver_interval_),
      track_up_(cfg_.tracks.size(), true),
      track_grade_(cfg_.tracks.size(), 100) {}

// ---- derived values ----

std::uint8_t Instance::priority() const {
  int penalty = 0;
  for (std::size_t i = 0; i < cfg_.tracks.size(); ++i) {
    const auto& t = cfg_.tracks[i];
    if (t.kind == TrackKind::interface && !track_up_[i]) penalty += t.weight;
    if (t.kind == TrackKind::health) penalty += t.weight * (100 - track_grade_[i]) / 100;
  }
  if (penalty == 0) return cfg_.priority;
  return static_cast<std::uint8_t>(std::clamp(cfg_.priority - penalty, 1, 254));
}

Duration Instance::skew_time() const {
  return (256 - priority()) * master_adver_interval_ / 256;
}

Duration Instance::master_down_interval() const { return 3 * master_adver_interval_ + skew_time(); }

bool Instance::own_fault() const {
  for (std::size_t i = 0; i < cfg_.tracks.size(); ++i)
    if (cfg_.tracks[i].kind == TrackKind::interface && cfg_.tracks[i].weight == 0 && !track_up_[i])
      return true;
  return false;
}

// ---- dispatch ----

Effects Instance::handle(TimePoint now, const Event& e) {
  Effects out;
  std::visit(
      Overloaded{
          [&](const ev::Start&) { on_start(now, out); },
          [&](const ev::Shutdown&) { on_shutdown(now, out); },
          [&](const ev::AdvertReceived& a) { on_advert(now, a, out); },
          [&](const ev::TimerFired& t) { on_timer(now, t.kind, out); },
          [&](const ev::InterfaceChanged& c) {
            auto old_prio = priority();
            bool old_fault = in_fault();
            for (std::size_t i = 0; i < cfg_.tracks.size(); ++i)
              if (cfg_.tracks[i].kind == TrackKind::interface && cfg_.tracks[i].name == c.name)
                track_up_[i] = c.up;
            on_track(now, out, old_prio, old_fault);
          },
          [&](const ev::HealthChanged& h) {
            auto old_prio = priority();
            bool old_fault = in_fault();
            for (std::size_t i = 0; i < cfg_.tracks.size(); ++i)
              if (cfg_.tracks[i].kind == TrackKind::health && cfg_.tracks[i].name == h.name)
                track_grade_[i] = std::min<std::uint8_t>(h.grade, 100);
            on_track(now, out, old_prio, old_fault);
          },
          [&](const ev::Resign&) { on_resign(now, out); },
          [&](const ev::Unresign&) { resigned_ = false; },
          [&](const ev::PeerDown& p) { on_peer_down(now, p.certain, out); },
          [&](const ev::SetPriority& p) {
            if (cfg_.priority == 255) return;  // an owner stays the owner
            auto old_prio = priority();
            bool old_fault = in_fault();
            cfg_.priority = std::clamp<std::uint8_t>(p.priority, 1, 254);
            on_track(now, out, old_prio, old_fault);
          },
      },
      e);
  return out;
}

// ---- transitions (RFC 5798 §6.4) ----

void Instance::on_start(TimePoint now, Effects& out) {
  if (state_ != State::initialize) return;
  if (in_fault()) {
    change_state(State::fault, "started with a tracked interface down", out);
    return;
  }
  preempt_after_ = now + cfg_.preempt_delay;
  hold_until_ = now + cfg_.startup_hold;
  if (priority() == 255) {
    become_master(now, "address owner (priority 255) starting", out);
  } else {
    become_backup(now, "started", out);
  }
}

void Instance::on_shutdown(TimePoint now, Effects& out) {
  (void)now;
  State was = state_;
  if (was == State::initialize) return;
  change_state(State::initialize, "shutdown", out);
  if (was == State::master) {
    out.push_back(fx::CancelTimer{TimerKind::adver});
    send_advert(0, out);
    out.push_back(fx::RemoveAddresses{cfg_.virtual_addresses});
  } else if (was == State::backup) {
    out.push_back(fx::CancelTimer{TimerKind::master_down});
    if (holding_addresses_) out.push_back(fx::RemoveAddresses{cfg_.virtual_addresses});
  }
  holding_addresses_ = false;
  master_down_deadline_.reset();
}

void Instance::on_advert(TimePoint now, const ev::AdvertReceived& a, Effects& out) {
  if (a.src == cfg_.primary) return;  // our own, looped back
  const std::uint8_t mine = priority();
  const std::uint8_t theirs = a.advert.priority;
  if (state_ == State::master) {
    if (theirs == 0) {  // the other master resigned: assert at once (§6.4.3)
      send_advert(mine, out);
      out.push_back(fx::ArmTimer{TimerKind::adver, now + adver_interval_});
    } else if (theirs > mine || (theirs == mine && a.src > cfg_.primary)) {
      master_adver_interval_ = centiseconds(a.advert.interval_cs);
      master_addr_ = a.src;
      last_advert_rx_ = now;
      become_backup(now,
                    fmt::format("advert from {} with priority {} beats ours ({})",
                                a.src.to_string(), theirs, mine),
                    out);
    } else {  // a lower-priority master: re-assert (keepalived does the same)
      send_advert(mine, out);
      out.push_back(fx::Announce{cfg_.virtual_addresses});
      out.push_back(fx::ArmTimer{TimerKind::adver, now + adver_interval_});
    }
    return;
  }
  if (state_ != State::backup) return;
  if (theirs == 0) {  // the master resigned: take over after Skew_Time (§6.4.2)
    peer_verdict_ = PeerVerdict::none;
    master_resigned_ = true;
    arm_master_down(now + skew_time(), out);
    return;
  }
  // Lateness counts between two adverts heard from the same master while we stayed backup.
  if (prev_advert_ && master_addr_ == a.src) {
    Duration late = (now - *prev_advert_) - master_adver_interval_;
    Duration decayed = lateness(now);
    lateness_ = std::max(decayed, late);
    lateness_at_ = now;
  }
  prev_advert_ = now;
  last_advert_rx_ = now;
  peer_verdict_ = PeerVerdict::none;
  master_resigned_ = false;
  if (holding_addresses_) {  // a new master after our planned resignation
    holding_addresses_ = false;
    out.push_back(fx::RemoveAddresses{cfg_.virtual_addresses});
  }
  bool may_preempt = cfg_.preempt && !resigned_ && now >= preempt_after_;
  if (!may_preempt || theirs >= mine) {
    master_adver_interval_ = centiseconds(a.advert.interval_cs);
    master_addr_ = a.src;
    arm_master_down(now + master_down_interval(), out);
  }
  // Otherwise discard: the master-down timer runs out and we preempt.
}

void Instance::on_timer(TimePoint now, TimerKind k, Effects& out) {
  if (k == TimerKind::adver && state_ == State::master) {
    send_advert(priority(), out);
    out.push_back(fx::ArmTimer{TimerKind::adver, now + adver_interval_});
  } else if (k == TimerKind::master_down && state_ == State::backup) {
    if (master_down_deadline_ && now < *master_down_deadline_) return;  // a stale timer
    if (now < hold_until_ && !master_resigned_) {
      // Silence during the startup hold proves nothing: look again when it ends (an advert
      // heard meanwhile re-arms the timer as usual).
      arm_master_down(hold_until_, out);
      return;
    }
    std::string why = "master-down timer expired, no advert since";
    if (master_resigned_) why = "the master resigned (priority 0), last advert";
    else if (peer_verdict_ == PeerVerdict::certain)
      why = "the peer is gone or stopped serving (heartbeat), no advert since";
    else if (peer_verdict_ == PeerVerdict::silence)
      why = "peer declared down by the heartbeat, no advert since";
    if (last_advert_rx_) why += " " + ms(now - *last_advert_rx_) + " ago";
    else why += " start";
    become_master(now, why, out);
  }
}

void Instance::on_track(TimePoint now, Effects& out, std::uint8_t old_priority, bool old_fault) {
  bool fault = in_fault();
  if (fault && !old_fault) {
    if (state_ == State::backup || state_ == State::master)
      become_fault(now, group_fault_ && !own_fault() ? "sync group in fault"
                                                    : "tracked interface down",
                   out);
    return;
  }
  if (!fault && old_fault) {
    if (state_ == State::fault) leave_fault(now, out);
    return;
  }
  if (state_ == State::master && priority() != old_priority) {
    // Tell the backups now: one of them may have to preempt.
    send_advert(priority(), out);
    out.push_back(fx::ArmTimer{TimerKind::adver, now + adver_interval_});
  }
}

void Instance::on_resign(TimePoint now, Effects& out) {
  resigned_ = true;
  if (state_ == State::master) step_down_holding(now, "planned resignation (priority 0 sent)", out);
}

void Instance::on_peer_down(TimePoint now, bool certain, Effects& out) {
  if (state_ != State::backup) return;
  TimePoint deadline = now;
  if (!certain) {
    // Silence alone: a stalled master is silent too. The advert due one interval after the
    // last one must be overdue by a margin: one more interval, or half the skew (which keeps
    // backups of different priorities in order), or as late as the master's adverts have
    // come recently (a busy host), whichever is most; never beyond the RFC's master-down.
    TimePoint last = last_advert_rx_.value_or(backup_since_);
    Duration margin = std::max({master_adver_interval_, skew_time() / 2, lateness(now)});
    deadline = std::max(
        now, last + std::min(master_adver_interval_ + margin, master_down_interval()));
  }
  if (master_down_deadline_ && *master_down_deadline_ <= deadline) return;
  peer_verdict_ = certain ? PeerVerdict::certain : PeerVerdict::silence;
  // Even when due now, the takeover goes through the timer: one path to master, which a
  // sync group can hold back.
  arm_master_down(deadline, out);
}

// ---- sync group hooks ----

Effects Instance::force_master(TimePoint now, std::string_view reason) {
  Effects out;
  if (state_ == State::backup) become_master(now, reason, out);
  return out;
}

Effects Instance::force_backup(TimePoint now, std::string_view reason) {
  Effects out;
  if (state_ == State::master) step_down_holding(now, reason, out);
  return out;
}

Effects Instance::set_group_fault(TimePoint now, bool on, std::string_view reason) {
  Effects out;
  bool old_fault = in_fault();
  group_fault_ = on;
  bool fault = in_fault();
  if (fault && !old_fault && (state_ == State::backup || state_ == State::master))
    become_fault(now, reason, out);
  else if (!fault && old_fault && state_ == State::fault)
    leave_fault(now, out);
  return out;
}

// ---- building blocks ----

void Instance::become_master(TimePoint now, std::string_view reason, Effects& out) {
  State was = state_;
  change_state(State::master, reason, out);
  if (was == State::backup) out.push_back(fx::CancelTimer{TimerKind::master_down});
  if (!holding_addresses_) out.push_back(fx::AddAddresses{cfg_.virtual_addresses});
  holding_addresses_ = false;
  peer_verdict_ = PeerVerdict::none;
  master_resigned_ = false;
  master_down_deadline_.reset();
  master_addr_.reset();
  send_advert(priority(), out);
  out.push_back(fx::Announce{cfg_.virtual_addresses});
  out.push_back(fx::ArmTimer{TimerKind::adver, now + adver_interval_});
}

void Instance::become_backup(TimePoint now, std::string_view reason, Effects& out) {
  State was = state_;
  change_state(State::backup, reason, out);
  if (was == State::master) {
    out.push_back(fx::CancelTimer{TimerKind::adver});
    out.push_back(fx::RemoveAddresses{cfg_.virtual_addresses});
  } else {
    master_adver_interval_ = adver_interval_;
  }
  backup_since_ = now;
  arm_master_down(now + master_down_interval(), out);
}

// Keeps the addresses until the new master is heard (or we come back): nothing is lost
// while the backup waits out its skew time.
void Instance::step_down_holding(TimePoint now, std::string_view reason, Effects& out) {
  change_state(State::backup, reason, out);
  out.push_back(fx::CancelTimer{TimerKind::adver});
  send_advert(0, out);
  holding_addresses_ = true;
  master_adver_interval_ = adver_interval_;
  backup_since_ = now;
  arm_master_down(now + master_down_interval(), out);
}

void Instance::become_fault(TimePoint now, std::string_view reason, Effects& out) {
  (void)now;
  State was = state_;
  change_state(State::fault, reason, out);
  if (was == State::master) {
    out.push_back(fx::CancelTimer{TimerKind::adver});
    send_advert(0, out);  // let the backup take over at its skew time if the link still works
    out.push_back(fx::RemoveAddresses{cfg_.virtual_addresses});
  } else if (was == State::backup) {
    out.push_back(fx::CancelTimer{TimerKind::master_down});
    if (holding_addresses_) out.push_back(fx::RemoveAddresses{cfg_.virtual_addresses});
  }
  holding_addresses_ = false;
  master_resigned_ = false;
  master_down_deadline_.reset();
  master_addr_.reset();
}

void Instance::leave_fault(TimePoint now, Effects& out) {
  preempt_after_ = now + cfg_.preempt_delay;
  last_advert_rx_.reset();
  if (priority() == 255)
    become_master(now, "fault cleared, address owner", out);
  else
    become_backup(now, "fault cleared", out);
}

void Instance::send_advert(std::uint8_t prio, Effects& out) const {
  Advert a;
  a.version = cfg_.version;
  a.family = cfg_.family;
  a.vrid = cfg_.vrid;
  a.priority = prio;
  a.interval_cs = cfg_.adver_interval_cs;
  a.addresses = cfg_.virtual_addresses;
  a.checksum = cfg_.version == Version::v2 ? ChecksumMode::message_only : cfg_.checksum;
  if (cfg_.version == Version::v2) {
    a.auth_type = cfg_.v2_auth_type;
    a.auth_data = cfg_.v2_auth_data;
  }
  out.push_back(fx::SendAdvert{std::move(a)});
}

Duration Instance::lateness(TimePoint now) const {
  if (lateness_ <= Duration::zero()) return Duration::zero();
  double halves = std::chrono::duration<double>(now - lateness_at_) /
                  std::chrono::duration<double>(kLatenessHalfLife);
  return std::chrono::duration_cast<Duration>(lateness_ * std::exp2(-halves));
}

void Instance::arm_master_down(TimePoint deadline, Effects& out) {
  master_down_deadline_ = deadline;
  out.push_back(fx::ArmTimer{TimerKind::master_down, deadline});
}

void Instance::change_state(State to, std::string_view reason, Effects& out) {
  out.push_back(fx::StateChanged{state_, to, std::string(reason)});
  state_ = to;
  prev_advert_.reset();  // a gap across a change of state is not lateness
}

}  // namespace baton::vrrp
