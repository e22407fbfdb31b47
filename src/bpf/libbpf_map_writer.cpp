#include "bpf/libbpf_map_writer.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <iterator>

#include "bpf/fake_map_writer.hpp"  // input checks shared with the fake
#include "core/log.hpp"

namespace baton::bpf {
namespace {

constexpr std::size_t kTableBytes =
    std::size_t{BATON_XDP_SLOTS} * BATON_XDP_TABLE_QUADS * sizeof(baton_quad);

std::size_t page_round(std::size_t n) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

Error sys_err(std::string_view what, int e = errno) {
  return err("{}: {}", what, std::strerror(e));
}

Status update(int fd, const void* key, const void* value, std::string_view what) {
  if (bpf_map_update_elem(fd, key, value, BPF_ANY) != 0) return sys_err(what);
  return {};
}

}  // namespace

Result<std::unique_ptr<LibbpfMapWriter>> LibbpfMapWriter::create(const MapFds& fds) {
  // The program's .bss must be exactly struct baton_globals (its only global variable).
  bpf_map_info info{};
  std::uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fds.globals, &info, &len) != 0)
    return sys_err("reading the info of map baton_xd.bss");
  if (info.value_size != sizeof(baton_globals) || info.max_entries != 1)
    return err("map baton_xd.bss holds {} x {} bytes, not one struct baton_globals ({} bytes): "
               "program and baton_maps.h disagree", info.max_entries, info.value_size,
               sizeof(baton_globals));
  void* gl = mmap(nullptr, page_round(sizeof(baton_globals)), PROT_READ | PROT_WRITE, MAP_SHARED,
                  fds.globals, 0);
  if (gl == MAP_FAILED) return sys_err("mmap of map baton_xd.bss");
  void* tb = mmap(nullptr, page_round(kTableBytes), PROT_READ | PROT_WRITE, MAP_SHARED, fds.table, 0);
  if (tb == MAP_FAILED) {
    Error e = sys_err("mmap of map baton_table");
    munmap(gl, page_round(sizeof(baton_globals)));
    return e;
  }
  return std::unique_ptr<LibbpfMapWriter>(new LibbpfMapWriter(
      fds, static_cast<baton_globals*>(gl), static_cast<std::uint16_t*>(tb)));
}

LibbpfMapWriter::LibbpfMapWriter(const MapFds& fds, baton_globals* globals, std::uint16_t* table)
    : fds_(fds), globals_(globals), state_(&globals->state), table_(table) {}

LibbpfMapWriter::~LibbpfMapWriter() {
  munmap(globals_, page_round(sizeof(baton_globals)));
  munmap(table_, page_round(kTableBytes));
}

namespace {
// MEMBARRIER_CMD_GLOBAL returns after synchronize_rcu(); 0 or the errno.
int grace_period() {
  return syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0 ? 0 : errno;
}
}  // namespace

Status LibbpfMapWriter::wait_for_readers() {
  if (!slot_may_be_read_) return {};
  int e = grace_.valid() ? grace_.get() : grace_period();
  if (e != 0)
    return sys_err("membarrier(MEMBARRIER_CMD_GLOBAL), needed to wait for XDP readers of the "
                   "inactive table slot", e);
  slot_may_be_read_ = false;
  return {};
}

Status LibbpfMapWriter::apply_table(const dist::Table& table, dist::Mode mode,
                                    std::uint32_t seed) {
  if (auto s = check_table(table); !s) return s;
  std::atomic_ref<std::uint32_t> active(state_->active);
  const std::uint32_t next = (active.load(std::memory_order_acquire) & 1u) ^ 1u;
  if (auto s = wait_for_readers(); !s) return s;

  std::uint16_t* slot = table_ + std::size_t{next} * BATON_XDP_MAX_BUCKETS;
  const auto buckets = table.buckets();
  std::memcpy(slot, buckets.data(), buckets.size() * sizeof(std::uint16_t));
  baton_slot& hdr = state_->slot[next];
  hdr.generation = table.generation();
  hdr.buckets = table.size();
  hdr.mode = static_cast<std::uint32_t>(mode);
  hdr.seed = seed;
  // Everything above is visible before the program can read `next` as active.
  active.store(next, std::memory_order_release);
  slot_may_be_read_ = true;
  grace_ = std::async(std::launch::async, grace_period);
  spdlog::info("xdp: table generation {} live ({} buckets, mode {}, slot {})",
               table.generation(), table.size(), dist::mode_name(mode), next);
  return {};
}

Result<std::uint64_t> LibbpfMapWriter::live_generation() const {
  std::atomic_ref<std::uint32_t> active(state_->active);
  const baton_slot& s = state_->slot[active.load(std::memory_order_acquire) & 1u];
  return s.buckets == 0 ? 0 : s.generation;
}

namespace {
// Entries of baton_globals that the program reads field by field (flags last in the struct):
// the contents are written before `flags` says valid, and `flags` says invalid before the
// contents are cleared. As with the array map update this replaces, a reader may see a
// half-rewritten entry while a valid entry changes to another valid one.
template <typename Entry>
void publish(Entry& slot, const Entry& value) {
  static_assert(offsetof(Entry, flags) + sizeof(slot.flags) == sizeof(Entry));
  std::atomic_ref<std::uint32_t> flags(slot.flags);
  if (value.flags == 0) flags.store(0, std::memory_order_release);
  std::memcpy(&slot, &value, offsetof(Entry, flags));
  flags.store(value.flags, std::memory_order_release);
}
}  // namespace

Status LibbpfMapWriter::set_member_port(MemberId member, Side side, const MemberPort& port) {
  if (auto s = check_member(member); !s) return s;
  if (auto s = check_tx(port.tx); !s) return s;
  baton_port v{};
  std::memcpy(v.dst_mac, port.member_mac.data(), 6);
  std::memcpy(v.src_mac, port.orchestrator_mac.data(), 6);
  v.tx = port.tx;
  v.flags = BATON_PORT_VALID;
  publish(globals_->ports[std::size_t{member} * BATON_XDP_SIDES + static_cast<std::size_t>(side)], v);
  return {};
}

Status LibbpfMapWriter::clear_member_port(MemberId member, Side side) {
  if (auto s = check_member(member); !s) return s;
  publish(globals_->ports[std::size_t{member} * BATON_XDP_SIDES + static_cast<std::size_t>(side)],
          baton_port{});
  return {};
}

Status LibbpfMapWriter::set_tx_port(std::uint32_t tx, std::uint32_t ifindex) {
  if (auto s = check_tx(tx); !s) return s;
  if (auto s = check_ifindex(ifindex); !s) return s;
  return update(fds_.tx, &tx, &ifindex, fmt::format("devmap entry {} -> ifindex {}", tx, ifindex));
}

Status LibbpfMapWriter::clear_tx_port(std::uint32_t tx) {
  if (auto s = check_tx(tx); !s) return s;
  if (bpf_map_delete_elem(fds_.tx, &tx) != 0 && errno != ENOENT)
    return sys_err("delete from map baton_tx");
  return {};
}

Status LibbpfMapWriter::set_uplink(std::uint32_t ifindex, Side side) {
  if (auto s = check_ifindex(ifindex); !s) return s;
  publish(globals_->ifaces[ifindex], baton_iface{static_cast<std::uint32_t>(side), BATON_IFACE_VALID});
  return {};
}

Status LibbpfMapWriter::clear_uplink(std::uint32_t ifindex) {
  if (auto s = check_ifindex(ifindex); !s) return s;
  publish(globals_->ifaces[ifindex], baton_iface{});
  return {};
}

Status LibbpfMapWriter::rebuild_local_filter() {
  baton_local_filter filter{};
  auto set = [&](std::uint32_t slot) {
    slot %= BATON_LOCAL_FILTER_BITS;
    filter.bits[slot / 64] |= std::uint64_t{1} << (slot % 64);
  };
  std::uint32_t k4 = 0, next4 = 0;
  const std::uint32_t* prev4 = nullptr;
  while (bpf_map_get_next_key(fds_.local4, prev4, &next4) == 0) {
    set(baton_local_slot4(next4));
    k4 = next4;
    prev4 = &k4;
  }
  baton_addr6 k6{}, next6{};
  const baton_addr6* prev6 = nullptr;
  while (bpf_map_get_next_key(fds_.local6, prev6, &next6) == 0) {
    std::uint32_t w[4];
    std::memcpy(w, next6.addr, 16);
    set(baton_local_slot6(w));
    k6 = next6;
    prev6 = &k6;
  }
  // Word by word: a bit that stays set is set in every word the program can read.
  for (std::size_t i = 0; i < std::size(filter.bits); ++i)
    std::atomic_ref<std::uint64_t>(globals_->local_filter.bits[i])
        .store(filter.bits[i], std::memory_order_release);
  return {};
}

Status LibbpfMapWriter::add_local_address(const IpAddress& addr) {
  const std::uint32_t one = 1;
  // The address first, then its filter bit: the program never skips an address it holds.
  const int fd = addr.family == 4 ? fds_.local4 : fds_.local6;
  if (auto s = update(fd, addr.bytes.data(), &one, fmt::format("adding own address {}", addr.str()));
      !s)
    return s;
  return rebuild_local_filter();
}

Status LibbpfMapWriter::remove_local_address(const IpAddress& addr) {
  const int fd = addr.family == 4 ? fds_.local4 : fds_.local6;
  if (bpf_map_delete_elem(fd, addr.bytes.data()) != 0 && errno != ENOENT)
    return sys_err(fmt::format("removing own address {}", addr.str()));
  // Bits of the remaining addresses are set in the old and in the new filter alike.
  return rebuild_local_filter();
}

Result<Counters> LibbpfMapWriter::read_counters() const {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return err("cannot count possible CPUs: {}", std::strerror(-cpus));
  const auto ncpu = static_cast<std::size_t>(cpus);
  // Whole maps in one BPF_MAP_LOOKUP_BATCH each: keys 0..n-1, per-CPU values.
  auto read_all = [&](int fd, std::uint32_t n, std::vector<Counter>& out) -> Status {
    std::vector<std::uint32_t> keys(n);
    std::vector<baton_counter> values(std::size_t{n} * ncpu);
    std::uint32_t count = n, out_batch = 0;
    if (bpf_map_lookup_batch(fd, nullptr, &out_batch, keys.data(), values.data(), &count,
                             nullptr) != 0 && errno != ENOENT)
      return sys_err("reading counters");
    if (count != n) return err("reading counters: got {} of {} entries", count, n);
    out.assign(n, Counter{});
    for (std::uint32_t i = 0; i < n; ++i) {
      Counter& c = out[keys[i]];
      for (std::size_t cpu = 0; cpu < ncpu; ++cpu) {
        c.packets += values[i * ncpu + cpu].packets;
        c.bytes += values[i * ncpu + cpu].bytes;
      }
    }
    return {};
  };
  Counters out;
  std::vector<Counter> verdicts;
  if (auto s = read_all(fds_.verdicts, BATON_V_COUNT, verdicts); !s) return s.error();
  std::copy(verdicts.begin(), verdicts.end(), out.verdicts.begin());
  if (auto s = read_all(fds_.member_stats, BATON_XDP_MAX_MEMBERS, out.members); !s)
    return s.error();
  // Distributed frames are counted per member only (see baton_maps.h).
  Counter& distributed = out.verdicts[BATON_V_DISTRIBUTED];
  for (const Counter& m : out.members) {
    distributed.packets += m.packets;
    distributed.bytes += m.bytes;
  }
  return out;
}

}  // namespace baton::bpf
