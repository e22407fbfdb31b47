#include "vrrp/sync_group.hpp"

#include <set>
#include <utility>

#include <fmt/format.h>

namespace baton::vrrp {

Result<SyncGroup> SyncGroup::create(std::string name, std::vector<Instance> members) {
  if (members.empty()) return err("vrrp sync group {}: no instances", name);
  std::set<std::string> names;
  for (const auto& m : members)
    if (!names.insert(m.config().name).second)
      return err("vrrp sync group {}: instance {} appears twice", name, m.config().name);
  return SyncGroup(std::move(name), std::move(members));
}

std::string_view group_state_name(GroupState s) {
  switch (s) {
    case GroupState::initialize: return "initialize";
    case GroupState::backup: return "backup";
    case GroupState::master: return "master";
    case GroupState::fault: return "fault";
  }
  return "?";
}

GroupState SyncGroup::state() const {
  bool any_master = false, all_init = true;
  for (const auto& m : members_) {
    if (m.state() == State::fault) return GroupState::fault;
    any_master = any_master || m.state() == State::master;
    all_init = all_init && m.state() == State::initialize;
  }
  if (any_master) return GroupState::master;
  return all_init ? GroupState::initialize : GroupState::backup;
}

SyncGroup::SyncGroup(std::string name, std::vector<Instance> members)
    : name_(std::move(name)), members_(std::move(members)) {}

std::optional<std::size_t> SyncGroup::find(std::string_view name) const {
  for (std::size_t i = 0; i < members_.size(); ++i)
    if (members_[i].config().name == name) return i;
  return std::nullopt;
}

void SyncGroup::tag(std::size_t member, Effects&& fx, GroupEffects& out) {
  for (auto& e : fx) out.push_back({member, std::move(e)});
}

GroupEffects SyncGroup::handle(TimePoint now, std::size_t index, const Event& e) {
  GroupEffects out;
  if (index >= members_.size()) return out;
  const auto* timer = std::get_if<ev::TimerFired>(&e);
  if (timer && timer->kind == TimerKind::master_down && !may_take_over(now, index)) return out;
  State before = members_[index].state();
  tag(index, members_[index].handle(now, e), out);
  propagate(now, index, before, out);
  return out;
}

GroupEffects SyncGroup::handle_all(TimePoint now, const Event& e) {
  GroupEffects out;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    State before = members_[i].state();
    tag(i, members_[i].handle(now, e), out);
    propagate(now, i, before, out);
  }
  // Members started after one became master (an owner, say) follow it too.
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].state() != State::master) continue;
    std::string why = fmt::format("sync group {}: {} is master", name_, members_[i].config().name);
    for (std::size_t k = 0; k < members_.size(); ++k)
      if (k != i) tag(k, members_[k].force_master(now, why), out);
    break;
  }
  return out;
}

bool SyncGroup::may_take_over(TimePoint now, std::size_t index) const {
  if (members_[index].master_resigned()) return true;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (i == index || members_[i].state() != State::backup) continue;
    auto deadline = members_[i].master_down_deadline();
    if (deadline && *deadline > now) return false;  // its master is still alive
  }
  return true;
}

void SyncGroup::propagate(TimePoint now, std::size_t origin, State before, GroupEffects& out) {
  const Instance& o = members_[origin];
  State after = o.state();
  std::string why = fmt::format("sync group {}: {} is {}", name_, o.config().name,
                                state_name(after));
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (i == origin) continue;
    // Held in fault while any other member has a fault of its own.
    bool others_fault = false;
    for (std::size_t k = 0; k < members_.size(); ++k)
      others_fault = others_fault || (k != i && members_[k].own_fault());
    Instance& m = members_[i];
    tag(i, m.set_group_fault(now, others_fault, why), out);
    if (after == before) continue;
    if (after == State::master) tag(i, m.force_master(now, why), out);
    if (after == State::backup && before == State::master) tag(i, m.force_backup(now, why), out);
  }
}

}  // namespace baton::vrrp
