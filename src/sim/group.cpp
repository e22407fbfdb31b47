#include "sim/group.hpp"

#include <algorithm>

namespace baton::sim {

Result<Group> Group::create(std::uint32_t count, std::uint32_t default_weight,
                            std::span<const WeightOverride> overrides) {
  if (count == 0 || count > dist::kMaxMembers)
    return err("--members {}: must be between 1 and {}", count, dist::kMaxMembers);
  if (default_weight > dist::kMaxWeight)
    return err("--default-weight {}: weights are 0 to {}", default_weight, dist::kMaxWeight);
  Group g;
  for (std::uint32_t i = 1; i <= count; ++i)
    g.live_.push_back({static_cast<dist::MemberId>(i), default_weight});
  std::vector<dist::MemberId> seen;
  for (const auto& o : overrides) {
    if (o.member == 0 || o.member > count)
      return err("--member-weight {}={}: no member {} (members are 1..{})", o.member, o.weight,
                 o.member, count);
    if (std::find(seen.begin(), seen.end(), o.member) != seen.end())
      return err("--member-weight {}={}: member {} is given a weight twice", o.member, o.weight,
                 o.member);
    if (o.weight > dist::kMaxWeight)
      return err("--member-weight {}={}: weights are 0 to {}", o.member, o.weight,
                 dist::kMaxWeight);
    seen.push_back(o.member);
    g.live_[o.member - 1u].weight = o.weight;
  }
  if (std::none_of(g.live_.begin(), g.live_.end(), [](auto& m) { return m.weight > 0; }))
    return err("--default-weight {}{}: every member has weight 0; at least one needs a weight "
               "above 0 to own buckets", default_weight,
               overrides.empty() ? "" : " with --member-weight");
  return g;
}

bool Group::is_live(dist::MemberId id) const {
  return std::any_of(live_.begin(), live_.end(), [&](auto& m) { return m.id == id; });
}

std::uint32_t Group::weight_of(dist::MemberId id) const {
  for (const auto& m : live_)
    if (m.id == id) return m.weight;
  return 0;
}

std::size_t Group::weighted_without(dist::MemberId id) const {
  return static_cast<std::size_t>(std::count_if(
      live_.begin(), live_.end(), [&](auto& m) { return m.id != id && m.weight > 0; }));
}

Status Group::check(const Event& e) const {
  bool live = is_live(e.member);
  bool departed = std::find(departed_.begin(), departed_.end(), e.member) != departed_.end();
  switch (e.kind) {
    case EventKind::fail:
    case EventKind::admin_down:
      if (!live && departed) return err("{}: member {} has already left the group", e.origin, e.member);
      if (!live) return err("{}: member {} is not in the group", e.origin, e.member);
      if (weighted_without(e.member) == 0)
        return err("{}: member {} is the last member with weight above 0; the table would have "
                   "no owner for any bucket", e.origin, e.member);
      return {};
    case EventKind::add:
      if (live) return err("{}: member {} is already in the group", e.origin, e.member);
      if (live_.size() >= dist::kMaxMembers)
        return err("{}: the group already has the maximum of {} members", e.origin,
                   dist::kMaxMembers);
      return {};
    case EventKind::weight:
      if (!live && departed) return err("{}: member {} has left the group", e.origin, e.member);
      if (!live) return err("{}: member {} is not in the group", e.origin, e.member);
      if (e.weight == 0 && weighted_without(e.member) == 0)
        return err("{}: member {} is the last member with weight above 0; weight 0 would leave "
                   "no owner for any bucket", e.origin, e.member);
      return {};
  }
  return err("{}: unknown event", e.origin);
}

void Group::apply(const Event& e) {
  switch (e.kind) {
    case EventKind::fail:
    case EventKind::admin_down:
      std::erase_if(live_, [&](auto& m) { return m.id == e.member; });
      departed_.push_back(e.member);
      break;
    case EventKind::add: {
      auto pos = std::lower_bound(live_.begin(), live_.end(), e.member,
                                  [](auto& m, dist::MemberId id) { return m.id < id; });
      live_.insert(pos, {e.member, e.weight});
      std::erase(departed_, e.member);
      break;
    }
    case EventKind::weight:
      for (auto& m : live_)
        if (m.id == e.member) m.weight = e.weight;
      break;
  }
}

Status check_scenario(const Group& group, std::span<const Event> events) {
  Group g = group;
  for (const auto& e : events) {
    if (auto ok = g.check(e); !ok) return ok;
    g.apply(e);
  }
  return {};
}

}  // namespace baton::sim
