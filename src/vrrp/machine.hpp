// What the VRRP state machine is fed (events) and what it returns (effects). The machine
// never reads a clock, opens a socket or logs: every call carries the current time, and
// every consequence is an Effect value for the I/O shell (or a test) to carry out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "vrrp/addr.hpp"
#include "vrrp/advert.hpp"

namespace baton::vrrp {

enum class State : std::uint8_t { initialize, backup, master, fault };
std::string_view state_name(State s);  // "initialize", "backup", "master", "fault"

enum class TimerKind : std::uint8_t {
  adver,        // master: time to send the next advertisement
  master_down,  // backup: the master is presumed dead
};
inline constexpr std::size_t kTimerKindCount = 2;
std::string_view timer_kind_name(TimerKind k);  // "adver", "master-down"

// ---- events ----
namespace ev {
struct Start {};     // leave initialize (owner → master, otherwise → backup)
struct Shutdown {};  // master sends priority 0 and removes addresses; all → initialize
// A validated advert (validate_advert accepted it) and the IP source it came from.
struct AdvertReceived {
  Advert advert;
  IpAddr src;
};
struct TimerFired {
  TimerKind kind;
};
struct InterfaceChanged {  // a tracked interface went up or down
  std::string name;
  bool up = true;
};
struct HealthChanged {  // a tracked health source's grade, 0..100
  std::string name;
  std::uint8_t grade = 100;
};
// Planned switchover: a master sends priority 0 and becomes backup; it will not preempt
// again until Unresign (its master-down timer still runs, so it comes back if nobody
// takes over). A backup stops preempting.
struct Resign {};
struct Unresign {};
// A faster detector (the sync-link heartbeat) says the master is dead. On silence alone
// (`certain` false: a stalled host is silent too) a backup takes over once the master's
// next advert is overdue by a margin (Instance::on_peer_down); an advert heard before then
// cancels this. Adverts rule. `certain`: the master's own host said so (its daemon is gone:
// port unreachable; or it reported that it stopped serving): take over at once.
struct PeerDown {
  bool certain = false;
};
// The configured priority changes (an operator, or batond's grade): 1..254; an address
// owner (255) keeps 255. A master advertises the new priority at once; a backup now
// higher than the master preempts on the master's next advert (if preempt is on).
struct SetPriority {
  std::uint8_t priority = 100;
};
}  // namespace ev

using Event = std::variant<ev::Start, ev::Shutdown, ev::AdvertReceived, ev::TimerFired,
                           ev::InterfaceChanged, ev::HealthChanged, ev::Resign, ev::Unresign,
                           ev::PeerDown, ev::SetPriority>;

// ---- effects ----
namespace fx {
// Send this advert (built from the config and the current priority) to the group or peers.
struct SendAdvert {
  Advert advert;
};
// (Re)arm the one timer of this kind to fire at `deadline`; replaces a pending one.
struct ArmTimer {
  TimerKind kind;
  TimePoint deadline;
};
struct CancelTimer {
  TimerKind kind;
};
struct AddAddresses {
  std::vector<IpAddr> addresses;
};
struct RemoveAddresses {
  std::vector<IpAddr> addresses;
};
// Gratuitous ARP / unsolicited NA for these addresses from the virtual MAC (the shell
// repeats it on its back-off schedule).
struct Announce {
  std::vector<IpAddr> addresses;
};
struct StateChanged {
  State from;
  State to;
  std::string reason;  // for the log line: "master-down timer expired", ...
};
}  // namespace fx

using Effect = std::variant<fx::SendAdvert, fx::ArmTimer, fx::CancelTimer, fx::AddAddresses,
                            fx::RemoveAddresses, fx::Announce, fx::StateChanged>;
using Effects = std::vector<Effect>;

// One line per effect, for tests and debug logs: "send prio=100", "arm master-down @3.609s".
std::string describe(const Effect& e);

}  // namespace baton::vrrp
