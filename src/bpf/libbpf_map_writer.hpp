// LibbpfMapWriter: MapWriter on the kernel maps of baton_xdp (file descriptors owned by the
// Datapath that loaded them). The program's globals (baton_xd.bss: state, own-address
// filter, uplink sides, member ports) and the table map are mmap-ed: a table is written with
// plain stores into the inactive slot and made live with one 32-bit release store.
#pragma once

#include <future>
#include <memory>

#include "bpf/map_writer.hpp"

namespace baton::bpf {

struct MapFds {
  int globals = -1;  // baton_xd.bss: one struct baton_globals
  int table = -1;
  int tx = -1;
  int local4 = -1;
  int local6 = -1;
  int verdicts = -1;
  int member_stats = -1;
};

class LibbpfMapWriter final : public MapWriter {
 public:
  static Result<std::unique_ptr<LibbpfMapWriter>> create(const MapFds& fds);
  ~LibbpfMapWriter() override;
  LibbpfMapWriter(const LibbpfMapWriter&) = delete;
  LibbpfMapWriter& operator=(const LibbpfMapWriter&) = delete;

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

 private:
  LibbpfMapWriter(const MapFds& fds, baton_globals* globals, std::uint16_t* table);
  // Waits until no program run can still be reading the inactive slot (an RCU grace period:
  // XDP programs run inside RCU read-side sections).
  Status wait_for_readers();
  // Recomputes baton_local_filter from the keys of baton_local4 and baton_local6.
  Status rebuild_local_filter();

  MapFds fds_;
  baton_globals* globals_;  // mmap of baton_xd.bss
  baton_state* state_;      // &globals_->state
  std::uint16_t* table_;  // mmap of baton_table: [slot][bucket] member ids
  bool slot_may_be_read_ = true;  // a switch happened since the last grace period
  // The grace period after the last switch, started at once on a thread of its own so that
  // the next table usually finds it over and does not wait for it.
  std::future<int> grace_;
};

}  // namespace baton::bpf
