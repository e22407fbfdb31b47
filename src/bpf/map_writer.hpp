// The I/O seam between the orchestrator and the XDP maps (DESIGN §8): everything the daemon
// writes into, or reads from, the data path. LibbpfMapWriter is the real one; FakeMapWriter
// keeps the same state in memory for unit tests of the code above it.
#pragma once

#include <cstdint>

#include "bpf/types.hpp"
#include "core/result.hpp"
#include "dist/flow.hpp"
#include "dist/table.hpp"

namespace baton::bpf {

class MapWriter {
 public:
  virtual ~MapWriter() = default;

  // Writes `table` (its buckets and generation) with the hash mode and seed into the slot the
  // data path is not reading, then makes it live in one step. Packets see the old or the new
  // table, never a mix.
  virtual Status apply_table(const dist::Table& table, dist::Mode mode,
                             std::uint32_t seed = dist::kDefaultSeed) = 0;
  // The generation the data path is using now; 0 before the first table.
  virtual Result<std::uint64_t> live_generation() const = 0;

  // How `member` is reached from uplinks of `side`; clear_member_port makes it unreachable
  // there (its packets count as no-member).
  virtual Status set_member_port(MemberId member, Side side, const MemberPort& port) = 0;
  virtual Status clear_member_port(MemberId member, Side side) = 0;

  // Devmap entry `tx` sends through interface `ifindex`.
  virtual Status set_tx_port(std::uint32_t tx, std::uint32_t ifindex) = 0;
  virtual Status clear_tx_port(std::uint32_t tx) = 0;

  // Frames arriving on `ifindex` belong to `side`. Attach does this; exposed for tests.
  virtual Status set_uplink(std::uint32_t ifindex, Side side) = 0;
  virtual Status clear_uplink(std::uint32_t ifindex) = 0;

  // The orchestrator's own addresses: packets to them go to the kernel.
  virtual Status add_local_address(const IpAddress& addr) = 0;
  virtual Status remove_local_address(const IpAddress& addr) = 0;

  virtual Result<Counters> read_counters() const = 0;
};

}  // namespace baton::bpf
