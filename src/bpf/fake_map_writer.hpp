// FakeMapWriter: the MapWriter contract kept in memory, for unit tests of code that drives the
// data path (no root, no kernel). It checks its inputs like the real writer, keeps the same
// two-slot state (so a test can see what is live), and can be told to fail the next call.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bpf/map_writer.hpp"

namespace baton::bpf {

class FakeMapWriter final : public MapWriter {
 public:
  struct Slot {
    std::uint64_t generation = 0;
    dist::Mode mode = dist::Mode::general;
    std::uint32_t seed = 0;
    std::vector<MemberId> buckets;  // empty: no table
  };

  Status apply_table(const dist::Table& table, dist::Mode mode, std::uint32_t seed) override;
  Result<std::uint64_t> live_generation() const override;
  Status set_member_port(MemberId member, Side side, const MemberPort& port) override;
  Status clear_member_port(MemberId member, Side side) override;
  Status set_tx_port(std::uint32_t tx, std::uint32_t ifindex) override;
  Status clear_tx_port(std::uint32_t tx) override;
  Status set_uplink(std::uint32_t ifindex, Side side) override;
  Status clear_uplink(std::uint32_t ifindex) override;
  Status add_local_address(const IpAddress& addr) override;
  Status remove_local_address(const IpAddress& addr) override;
  Result<Counters> read_counters() const override;

  // The next call (any method) fails with `message`.
  void fail_next(std::string message) { fail_next_ = std::move(message); }
  // Counters read_counters() returns from now on.
  void set_counters(Counters c) { counters_ = std::move(c); }

  const Slot& live() const { return slots_[active_]; }
  std::size_t swaps() const { return swaps_; }
  // The member a parsed packet goes to under the live table, as the BPF program computes it;
  // nullopt without a table.
  std::optional<MemberId> owner_of(const dist::Packet& pkt) const;
  std::optional<MemberPort> port(MemberId member, Side side) const;
  std::optional<std::uint32_t> tx_port(std::uint32_t tx) const;
  std::optional<Side> uplink(std::uint32_t ifindex) const;
  const std::set<IpAddress>& local_addresses() const { return locals_; }

 private:
  Status check_fail() const;

  Slot slots_[BATON_XDP_SLOTS];
  std::uint32_t active_ = 0;
  std::size_t swaps_ = 0;
  std::map<std::pair<MemberId, Side>, MemberPort> ports_;
  std::map<std::uint32_t, std::uint32_t> tx_;
  std::map<std::uint32_t, Side> uplinks_;
  std::set<IpAddress> locals_;
  Counters counters_{{}, std::vector<Counter>(BATON_XDP_MAX_MEMBERS)};
  mutable std::optional<std::string> fail_next_;
};

// Input checks shared by both writers, so the fake refuses what the kernel maps cannot hold.
Status check_table(const dist::Table& table);
Status check_member(MemberId member);
Status check_ifindex(std::uint32_t ifindex);
Status check_tx(std::uint32_t tx);

}  // namespace baton::bpf
