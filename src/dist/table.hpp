// The distribution table (DESIGN §2): M buckets, each owned by one member.
//
//  - build():   Maglev-style population from members and weights. Each member's bucket count
//               is its exact weighted share of M rounded by largest remainder (within ±1).
//  - without(): the failure patch. Only the failed member's buckets move; they are shared by
//               the survivors in proportion to their weights (within ±1), interleaved.
//  - successors(): for every bucket, the member that gets it if its owner fails. It is the
//               patch computed ahead of time, so the two agree by construction.
//
// A table is a pure function of (bucket count, base members, ordered list of failed members),
// so both orchestrators and every member compute bit-identical tables from the same inputs,
// whatever order the members were listed in. See docs/architecture.md.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace baton::dist {

using MemberId = std::uint16_t;
inline constexpr MemberId kNoMember = 0xFFFF;
inline constexpr std::uint32_t kDefaultBuckets = 65537;
inline constexpr std::uint32_t kMaxBuckets = 1048573;  // largest prime below 2^20
inline constexpr std::uint32_t kMaxWeight = 512;
inline constexpr std::size_t kMaxMembers = 4096;

struct MemberSpec {
  MemberId id = 0;
  std::uint32_t weight = 0;
  bool operator==(const MemberSpec&) const = default;
};

bool is_prime(std::uint32_t n);

// Splits `total` into shares proportional to `weights`, each within 1 of its exact share:
// floors first, then one more to the largest remainders, ties broken by `tiebreak` (lower
// first) and then by position. All weights zero gives all shares zero.
std::vector<std::uint32_t> apportion(std::uint32_t total, std::span<const std::uint32_t> weights,
                                     std::span<const std::uint32_t> tiebreak);

class Table {
 public:
  // Builds generation `generation` from `members` (any order; ids unique, weights 0..512)
  // over `buckets` buckets (a prime, at most kMaxBuckets).
  static Result<Table> build(std::span<const MemberSpec> members,
                             std::uint32_t buckets = kDefaultBuckets,
                             std::uint64_t generation = 1);

  // Rebuilds a table from its inputs: the base members and the members removed by failure
  // patches, in the order they failed. This is what the wire form carries.
  static Result<Table> replay(std::span<const MemberSpec> base, std::span<const MemberId> failed,
                              std::uint32_t buckets, std::uint64_t generation);

  // The failure patch: the next generation with `failed` removed and only its buckets moved.
  Result<Table> without(MemberId failed) const;

  // For every bucket, the member that inherits it if its owner fails (kNoMember if no member
  // with weight could take it).
  std::vector<MemberId> successors() const;

  MemberId owner(std::uint32_t bucket) const { return buckets_[bucket]; }
  std::span<const MemberId> buckets() const { return buckets_; }
  std::uint32_t size() const { return static_cast<std::uint32_t>(buckets_.size()); }
  std::uint64_t generation() const { return generation_; }
  void set_generation(std::uint64_t g) { generation_ = g; }

  // Members the table was built from, sorted by id; and those since removed, in order.
  const std::vector<MemberSpec>& base_members() const { return base_; }
  const std::vector<MemberId>& failed() const { return failed_; }
  // Members still in the table (base minus failed), sorted by id.
  std::vector<MemberSpec> live_members() const;
  bool is_live(MemberId id) const;

  // Buckets per member id (index = id; sized to the largest id + 1).
  std::vector<std::uint32_t> counts() const;

  bool same_buckets(const Table& o) const { return buckets_ == o.buckets_; }

 private:
  // Where the buckets of `failed` go: the survivor for each of them, in ascending bucket
  // order. Shared by without() and successors().
  std::vector<MemberId> plan_failure(MemberId failed, std::span<const std::uint32_t> owned) const;

  std::vector<MemberId> buckets_;
  std::vector<MemberSpec> base_;
  std::vector<MemberId> failed_;
  std::uint64_t generation_ = 0;
};

}  // namespace baton::dist
