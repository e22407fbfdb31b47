#include "bpf/fake_map_writer.hpp"

namespace baton::bpf {

Status check_table(const dist::Table& table) {
  if (table.size() == 0 || table.size() > BATON_XDP_MAX_BUCKETS)
    return err("table of {} buckets: the data path holds 1..{}", table.size(),
               BATON_XDP_MAX_BUCKETS);
  if (table.generation() == 0) return err("table generation 0 is reserved for 'no table'");
  for (MemberId m : table.buckets())
    if (m != dist::kNoMember && m >= BATON_XDP_MAX_MEMBERS)
      return err("member id {} in the table: the data path holds ids below {}", m,
                 BATON_XDP_MAX_MEMBERS);
  return {};
}

Status check_member(MemberId member) {
  if (member >= BATON_XDP_MAX_MEMBERS)
    return err("member id {}: the data path holds ids below {}", member, BATON_XDP_MAX_MEMBERS);
  return {};
}

Status check_ifindex(std::uint32_t ifindex) {
  if (ifindex == 0 || ifindex >= BATON_XDP_MAX_IFINDEX)
    return err("interface index {}: the data path holds 1..{}", ifindex,
               BATON_XDP_MAX_IFINDEX - 1);
  return {};
}

Status check_tx(std::uint32_t tx) {
  if (tx >= BATON_XDP_MAX_PORTS)
    return err("tx port {}: the devmap holds 0..{}", tx, BATON_XDP_MAX_PORTS - 1);
  return {};
}

Status FakeMapWriter::check_fail() const {
  if (fail_next_) {
    Error e{*fail_next_};
    fail_next_.reset();
    return e;
  }
  return {};
}

Status FakeMapWriter::apply_table(const dist::Table& table, dist::Mode mode, std::uint32_t seed) {
  if (auto s = check_fail(); !s) return s;
  if (auto s = check_table(table); !s) return s;
  const std::uint32_t next = active_ ^ 1u;
  slots_[next] = Slot{table.generation(), mode, seed,
                      std::vector<MemberId>(table.buckets().begin(), table.buckets().end())};
  active_ = next;
  ++swaps_;
  return {};
}

Result<std::uint64_t> FakeMapWriter::live_generation() const {
  if (auto s = check_fail(); !s) return s.error();
  return live().generation;
}

Status FakeMapWriter::set_member_port(MemberId member, Side side, const MemberPort& port) {
  if (auto s = check_fail(); !s) return s;
  if (auto s = check_member(member); !s) return s;
  if (auto s = check_tx(port.tx); !s) return s;
  ports_[{member, side}] = port;
  return {};
}

Status FakeMapWriter::clear_member_port(MemberId member, Side side) {
  if (auto s = check_fail(); !s) return s;
  if (auto s = check_member(member); !s) return s;
  ports_.erase({member, side});
  return {};
}

Status FakeMapWriter::set_tx_port(std::uint32_t tx, std::uint32_t ifindex) {
  if (auto s = check_fail(); !s) return s;
  if (auto s = check_tx(tx); !s) return s;
  if (auto s = check_ifindex(ifindex); !s) return s;
  tx_[tx] = ifindex;
  return {};
}

Status FakeMapWriter::clear_tx_port(std::uint32_t tx) {
  if (auto s = check_fail(); !s) return s;
  if (auto s = check_tx(tx); !s) return s;
  tx_.erase(tx);
  return {};
}

Status FakeMapWriter::set_uplink(std::uint32_t ifindex, Side side) {
  if (auto s = check_fail(); !s) return s;
  if (auto s = check_ifindex(ifindex); !s) return s;
  uplinks_[ifindex] = side;
  return {};
}

Status FakeMapWriter::clear_uplink(std::uint32_t ifindex) {
  if (auto s = check_fail(); !s) return s;
  if (auto s = check_ifindex(ifindex); !s) return s;
  uplinks_.erase(ifindex);
  return {};
}

Status FakeMapWriter::add_local_address(const IpAddress& addr) {
  if (auto s = check_fail(); !s) return s;
  if (locals_.size() >= BATON_XDP_MAX_LOCAL && !locals_.contains(addr))
    return err("cannot add {}: the data path holds {} own addresses", addr.str(),
               BATON_XDP_MAX_LOCAL);
  locals_.insert(addr);
  return {};
}

Status FakeMapWriter::remove_local_address(const IpAddress& addr) {
  if (auto s = check_fail(); !s) return s;
  locals_.erase(addr);
  return {};
}

Result<Counters> FakeMapWriter::read_counters() const {
  if (auto s = check_fail(); !s) return s.error();
  return counters_;
}

std::optional<MemberId> FakeMapWriter::owner_of(const dist::Packet& pkt) const {
  const Slot& s = live();
  if (s.buckets.empty()) return std::nullopt;
  const auto m = static_cast<std::uint32_t>(s.buckets.size());
  return s.buckets[dist::bucket_of(dist::flow_hash(pkt, s.mode, s.seed), m)];
}

std::optional<MemberPort> FakeMapWriter::port(MemberId member, Side side) const {
  auto it = ports_.find({member, side});
  if (it == ports_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint32_t> FakeMapWriter::tx_port(std::uint32_t tx) const {
  auto it = tx_.find(tx);
  if (it == tx_.end()) return std::nullopt;
  return it->second;
}

std::optional<Side> FakeMapWriter::uplink(std::uint32_t ifindex) const {
  auto it = uplinks_.find(ifindex);
  if (it == uplinks_.end()) return std::nullopt;
  return it->second;
}

}  // namespace baton::bpf
