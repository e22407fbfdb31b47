// One VRRP virtual router (RFC 5798 §6.4): Initialize / Backup / Master, plus Fault when a
// tracked interface of weight 0 is down. Pure: fed events with the current time, returns
// effects (machine.hpp).
//
// Timers: Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time, with
// Skew_Time = ((256 - priority) * Master_Adver_Interval) / 256, computed exactly in
// nanoseconds (keepalived computes it in microseconds; RFC 5798 writes centiseconds).
// A backup adopts the interval a master advertises.
//
// Effect order when taking over (DESIGN §4 "tables and state first, then addresses, then
// advertisements and announcements"): StateChanged, CancelTimer(master-down) (from backup),
// AddAddresses, SendAdvert, Announce, ArmTimer(adver). When stepping down: StateChanged,
// CancelTimer(adver), RemoveAddresses, ArmTimer(master-down).
//
// Planned resignation (ev::Resign) sends priority 0 and goes to backup but keeps the
// addresses until an advert from the new master arrives (then RemoveAddresses), so no
// packet is lost while the backup waits out its skew time. If nobody takes over, the
// master-down timer brings us back (without a second AddAddresses).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "vrrp/config.hpp"
#include "vrrp/machine.hpp"

namespace baton::vrrp {

// How fast the remembered lateness of the master's adverts fades (see on_peer_down).
inline constexpr Duration kLatenessHalfLife = std::chrono::seconds(30);

class Instance {
 public:
  // Checks the config (check_config) and returns an instance in Initialize.
  static Result<Instance> create(Config config);

  Effects handle(TimePoint now, const Event& e);

  // Sync-group hooks (sync_group.hpp): make this instance follow its group. No effect if
  // already in that state; force_master/force_backup do nothing while in initialize or fault.
  // force_backup steps down as a planned resignation does (priority 0 sent, addresses kept
  // until the new master is heard), so the peer's instance on this segment follows its own
  // group at Skew_Time instead of Master_Down_Interval.
  Effects force_master(TimePoint now, std::string_view reason);
  Effects force_backup(TimePoint now, std::string_view reason);
  // A group fault holds this instance in fault (as its own fault does) until cleared.
  Effects set_group_fault(TimePoint now, bool on, std::string_view reason);

  const Config& config() const { return cfg_; }
  State state() const { return state_; }
  // Configured priority minus tracking penalties, kept within 1..254 when lowered
  // (255 only for an unpenalised owner).
  std::uint8_t priority() const;
  // The interval in use for Master_Down_Interval (the master's, once heard).
  Duration master_adver_interval() const { return master_adver_interval_; }
  Duration skew_time() const;
  Duration master_down_interval() const;
  // Primary address of the last master heard (backup), if any.
  std::optional<IpAddr> master_address() const { return master_addr_; }
  bool resigned() const { return resigned_; }
  // Backup: when the master-down timer is due (in the past once it ran out and a sync
  // group held the takeover back).
  std::optional<TimePoint> master_down_deadline() const { return master_down_deadline_; }
  // Backup: the pending master-down timer was armed by a priority 0 advert (the master
  // resigned) rather than by silence.
  bool master_resigned() const { return master_resigned_; }
  bool own_fault() const;  // a weight-0 tracked interface is down
  // After a planned resignation, until the new master is heard.
  bool holding_addresses() const { return holding_addresses_; }

 private:
  explicit Instance(Config c);

  void on_start(TimePoint now, Effects& out);
  void on_shutdown(TimePoint now, Effects& out);
  void on_advert(TimePoint now, const ev::AdvertReceived& a, Effects& out);
  void on_timer(TimePoint now, TimerKind k, Effects& out);
  void on_track(TimePoint now, Effects& out, std::uint8_t old_priority, bool old_fault);
  void on_resign(TimePoint now, Effects& out);
  void on_peer_down(TimePoint now, bool certain, Effects& out);

  void become_master(TimePoint now, std::string_view reason, Effects& out);
  void become_backup(TimePoint now, std::string_view reason, Effects& out);
  void step_down_holding(TimePoint now, std::string_view reason, Effects& out);
  void become_fault(TimePoint now, std::string_view reason, Effects& out);
  void leave_fault(TimePoint now, Effects& out);
  void send_advert(std::uint8_t prio, Effects& out) const;
  void arm_master_down(TimePoint deadline, Effects& out);
  // The recent lateness of the master's adverts, decayed to `now`.
  Duration lateness(TimePoint now) const;
  void change_state(State to, std::string_view reason, Effects& out);
  bool in_fault() const { return own_fault() || group_fault_; }

  Config cfg_;
  State state_ = State::initialize;
  Duration adver_interval_;         // ours, from the config
  Duration master_adver_interval_;  // adopted from the master while backup
  std::optional<IpAddr> master_addr_;
  std::optional<TimePoint> last_advert_rx_;
  // How much later than its interval the master's adverts have come recently (the largest
  // such lateness, halving every kLatenessHalfLife): the margin a heartbeat verdict waits.
  Duration lateness_{};
  TimePoint lateness_at_{};
  std::optional<TimePoint> prev_advert_;  // the master's last advert heard in this backup spell
  std::optional<TimePoint> master_down_deadline_;  // while backup
  TimePoint backup_since_{};
  TimePoint preempt_after_{};
  TimePoint hold_until_{};  // startup hold (Config::startup_hold)
  bool holding_addresses_ = false;
  // The heartbeat verdict the armed master-down timer stands for (none: the RFC's own).
  enum class PeerVerdict : std::uint8_t { none, silence, certain };
  PeerVerdict peer_verdict_ = PeerVerdict::none;
  bool master_resigned_ = false;
  bool resigned_ = false;
  bool group_fault_ = false;
  std::vector<bool> track_up_;                // per tracks[i] of kind interface
  std::vector<std::uint8_t> track_grade_;     // per tracks[i] of kind health
};

}  // namespace baton::vrrp
