// The validated inputs of one baton-sim run, as produced by cli.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/group.hpp"
#include "sim/population.hpp"
#include "sim/scenario.hpp"

namespace baton::sim {

struct Options {
  std::uint32_t members = 8;
  std::uint32_t default_weight = 1;
  std::vector<WeightOverride> member_weights;
  PopulationSpec population;
  std::vector<Event> events;  // in command-line order, scenario files expanded in place
  bool json = false;
  bool per_member = false;
};

}  // namespace baton::sim
