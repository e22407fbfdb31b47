// The membership model of a simulated group: which members are live, with what weight, and
// the rules an event must satisfy. The simulation and the up-front scenario check (run before
// any flow is generated, so a bad scenario fails fast) share these rules.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "dist/table.hpp"
#include "sim/scenario.hpp"

namespace baton::sim {

struct WeightOverride {
  dist::MemberId member = 0;
  std::uint32_t weight = 0;
};

class Group {
 public:
  // Members 1..count with `default_weight`, then `overrides` applied (each id in 1..count,
  // at most once). At least one member must have a weight above 0.
  static Result<Group> create(std::uint32_t count, std::uint32_t default_weight,
                              std::span<const WeightOverride> overrides);

  // Whether `e` may happen now; the error says why not (prefixed with e.origin).
  Status check(const Event& e) const;
  // Applies an event that passed check().
  void apply(const Event& e);

  // Live members, sorted by id.
  const std::vector<dist::MemberSpec>& members() const { return live_; }
  bool is_live(dist::MemberId id) const;
  std::uint32_t weight_of(dist::MemberId id) const;

 private:
  std::size_t weighted_without(dist::MemberId id) const;

  std::vector<dist::MemberSpec> live_;
  std::vector<dist::MemberId> departed_;  // failed or admin-down, for clearer messages
};

// Runs the scenario on a copy of `group` and returns the first event that cannot happen.
Status check_scenario(const Group& group, std::span<const Event> events);

}  // namespace baton::sim
