// Applies scenario events to the real distribution table and measures each one.
//
//  fail N        unplanned: the failure patch Table::without(N); only N's buckets move.
//  admin-down N  planned removal: the same failure patch (the minimum movement, and every
//                moving bucket goes to its successor, which already holds the state), but
//                reported as planned: the planned-change protocol runs before the commit.
//  add N[:W]     planned: a full rebuild, Table::build(live members + N). A table is a pure
//                function of (base members, ordered failed list), so a new member means a
//                new base: the live members.
//  weight N=W    planned: a full rebuild from the live members with N's new weight.
//
// Every figure is computed per bucket and weighted by the flows in the bucket.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.hpp"
#include "dist/table.hpp"
#include "sim/group.hpp"
#include "sim/report.hpp"

namespace baton::sim {

class Simulation {
 public:
  // Builds generation 1 from `group` over per_bucket.size() buckets.
  static Result<Simulation> start(Group group, std::vector<std::uint32_t> per_bucket);

  // Applies one event; an event the group refuses (Group::check) is an error and changes
  // nothing.
  Result<EventReport> apply(const Event& e);

  const InitialReport& initial() const { return initial_; }
  const dist::Table& table() const { return table_; }
  const Group& group() const { return group_; }
  // Successors of the current table: who holds each bucket's replica.
  const std::vector<dist::MemberId>& successors() const { return successors_; }

 private:
  Simulation(Group g, std::vector<std::uint32_t> per_bucket, dist::Table t)
      : group_(std::move(g)), per_bucket_(std::move(per_bucket)), table_(std::move(t)) {}

  Share share_of(const dist::Table& t) const;
  Result<dist::Table> rebuild(const Event& e) const;

  Group group_;
  std::vector<std::uint32_t> per_bucket_;
  dist::Table table_;
  std::vector<dist::MemberId> successors_;
  InitialReport initial_;
  std::size_t events_ = 0;
};

// Compares two tables bucket by bucket. `subject` is the event's member; `successors` those
// of `before`.
void count_moves(const dist::Table& before, const dist::Table& after,
                 const std::vector<dist::MemberId>& successors, dist::MemberId subject,
                 const std::vector<std::uint32_t>& per_bucket, Moves& flows, Moves& buckets);

}  // namespace baton::sim
