// What baton-sim measures. Filled by simulation.cpp, printed by format.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dist/table.hpp"
#include "sim/options.hpp"
#include "sim/population.hpp"
#include "sim/scenario.hpp"

namespace baton::sim {

struct MemberLoad {
  dist::MemberId id = 0;
  std::uint32_t weight = 0;
  std::uint32_t buckets = 0;
  std::uint64_t flows = 0;
};

// How flows (or buckets) are spread over the live members with weight above 0.
struct Share {
  std::size_t live_members = 0;
  std::size_t weighted_members = 0;  // live members with weight above 0
  std::uint64_t min_flows = 0, max_flows = 0;
  dist::MemberId min_member = dist::kNoMember, max_member = dist::kNoMember;
  std::uint32_t min_buckets = 0, max_buckets = 0;  // fewest and most buckets of a member
  double max_min_ratio = 0;           // max_flows / min_flows; +inf if min_flows is 0
  double weighted_max_min_ratio = 0;  // the same on flows per unit of weight
  std::vector<MemberLoad> members;    // every live member, by id
};

// Movement caused by one event, counted in flows or in buckets.
//  moved:      now owned by a different member than before the event
//  collateral: moved between two members the event did not touch (neither the old nor the
//              new owner is the event's member); for a failure: moved although its owner
//              is still live
//  covered:    moved to the successor of its bucket in the previous table, which already held
//              its state under the rule "each flow is replicated to its bucket's successor"
//  uncovered:  moved - covered. Planned events pre-sync them before the commit; for a failure
//              they would be connections lost.
struct Moves {
  std::uint64_t total = 0;
  std::uint64_t moved = 0;
  std::uint64_t collateral = 0;
  std::uint64_t covered = 0;
  std::uint64_t uncovered = 0;
};

struct EventReport {
  std::size_t index = 0;  // 1-based position in the scenario
  Event event;
  bool planned = false;
  std::string table_change;  // "failure patch" or "rebuild"
  std::uint64_t generation = 0;
  double table_ms = 0;       // computing the new table
  double successors_ms = 0;  // computing its successors (the next event's replica rule)
  Moves flows;
  Moves buckets;
  std::uint64_t min_moved_buckets = 0;  // the least any table could move: sum of count drops
  Share share;
};

struct InitialReport {
  std::uint64_t generation = 0;
  double table_ms = 0;
  double successors_ms = 0;
  Share share;
};

struct RunReport {
  Options options;
  std::vector<dist::MemberSpec> members;  // the group before the first event
  Population population;                  // per_bucket cleared after the run
  InitialReport initial;
  std::vector<EventReport> events;
};

}  // namespace baton::sim
