// A sync group: several instances (one per segment, e.g. the uplink and downlink VIPs of
// one gateway group) that change state together, as keepalived's vrrp_sync_group:
//   one becomes master   → every other (in backup) becomes master;
//   but a member whose master-down timer runs out while another member still hears a
//   live master (its own master-down deadline is ahead) does not take over: it waits,
//   expired, until that one runs out too (keepalived's vrrp_sync_can_goto_master). A
//   failure only one segment sees does not flap the whole group. A priority 0 (the peer
//   resigned, and its group with it) is not held back;
//   one becomes backup   → every other (in master) steps down too, sending priority 0;
//   one goes to fault    → every other goes to fault until it recovers.
// Events go to one member by index; the effects come back tagged with the member they are
// for, in the order to carry them out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "vrrp/instance.hpp"
#include "vrrp/machine.hpp"

namespace baton::vrrp {

struct TaggedEffect {
  std::size_t member;  // index into the group's instances
  Effect effect;
};
using GroupEffects = std::vector<TaggedEffect>;

// The group's state as one word, derived from its members: fault if any member is in fault
// (a fault holds the whole group); otherwise master if any member is master (the others
// follow within the same batch of effects); initialize if every member is; else backup.
enum class GroupState : std::uint8_t { initialize, backup, master, fault };
std::string_view group_state_name(GroupState s);  // "initialize", "backup", "master", "fault"

class SyncGroup {
 public:
  // Needs at least one instance; names must be distinct.
  static Result<SyncGroup> create(std::string name, std::vector<Instance> members);

  // Feeds `e` to member `index` and propagates any state change to the others.
  GroupEffects handle(TimePoint now, std::size_t index, const Event& e);
  // Feeds `e` to every member (Start, Shutdown, Resign, PeerDown, a shared health grade).
  GroupEffects handle_all(TimePoint now, const Event& e);

  const std::string& name() const { return name_; }
  GroupState state() const;
  std::size_t size() const { return members_.size(); }
  const Instance& member(std::size_t i) const { return members_.at(i); }
  // Index of the member called `name` (Config::name), if any.
  std::optional<std::size_t> find(std::string_view name) const;

 private:
  SyncGroup(std::string name, std::vector<Instance> members);
  bool may_take_over(TimePoint now, std::size_t index) const;
  void propagate(TimePoint now, std::size_t origin, State before, GroupEffects& out);
  static void tag(std::size_t member, Effects&& fx, GroupEffects& out);

  std::string name_;
  std::vector<Instance> members_;
};

}  // namespace baton::vrrp
