// Test harness: VRRP routers on simulated segments, driven by a SimClock. Each node is an
// Instance or a SyncGroup; every member sits on a numbered segment. Adverts a member sends
// are encoded with the real codec, and every other member on the same segment (link up at
// both ends) receives them through validate_advert, so the tests cover the whole path from
// SendAdvert to AdvertReceived. Timers go through TimerBinding. Everything is recorded with
// the time it happened at.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "vrrp/drop.hpp"
#include "vrrp/instance.hpp"
#include "vrrp/sync_group.hpp"
#include "vrrp/timers.hpp"
#include "vrrp/validate.hpp"

namespace baton::vrrp::test {

inline TimePoint at(Duration d) { return TimePoint{} + d; }
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// Skew_Time and Master_Down_Interval for an interval and a priority, exact in nanoseconds.
inline Duration skew(Duration interval, int priority) { return (256 - priority) * interval / 256; }
inline Duration mdi(Duration interval, int priority) {
  return 3 * interval + skew(interval, priority);
}

// A small valid config: IPv4, VRID 7, VIP 10.0.0.100, primary 10.0.0.<host>.
Config basic_config(std::string name, std::uint8_t host, std::uint8_t priority,
                    std::uint16_t interval_cs = 100);

struct Sent {
  TimePoint when;
  Advert advert;
};
struct Change {
  TimePoint when;
  fx::StateChanged change;
};

struct Member {
  std::size_t node = 0;
  std::size_t index = 0;  // within the node's group
  int segment = 0;
  bool link_up = true;
  std::vector<Sent> sent;
  std::vector<Change> changes;
  std::vector<TimePoint> announces;
  std::set<IpAddr> addresses;  // as Add/RemoveAddresses left them
  std::vector<Effect> effects;  // every effect, in order
  DropCounters drops;
  std::size_t adverts_received = 0;
};

class Lan {
 public:
  Lan();
  ~Lan();
  // Returns the node index; its members get consecutive member ids (see member_id()).
  std::size_t add_instance(Config c, int segment = 0);
  std::size_t add_group(std::string name, std::vector<std::pair<Config, int>> members);

  // Feeds an event to one member (or to the whole group) now, then runs what fell due.
  void send(std::size_t node, std::size_t index, const Event& e);
  void send_all(std::size_t node, const Event& e);
  // A raw packet arriving at a member from the wire (validated like any other).
  void receive(std::size_t node, std::size_t index, const RxPacket& rx);
  void advance(Duration d) { clock_.advance(d); }
  void advance_to(TimePoint t) { clock_.advance_to(t); }
  TimePoint now() const { return clock_.now(); }

  Member& member(std::size_t node, std::size_t index = 0);
  const Instance& instance(std::size_t node, std::size_t index = 0) const;
  State state(std::size_t node, std::size_t index = 0) const {
    return instance(node, index).state();
  }
  // Time of the last change of this member into `to`, or TimePoint::max() if none.
  TimePoint entered(std::size_t node, std::size_t index, State to) const;
  std::size_t masters_on(int segment) const;

 private:
  struct Node;
  void apply(std::size_t node, const GroupEffects& fx);
  void broadcast(const Member& from, const Instance& inst, const Advert& a);
  std::size_t id(std::size_t node, std::size_t index) const;

  SimClock clock_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Member> members_;
  TimerBinding timers_;
};

}  // namespace baton::vrrp::test
