// HyperSync's kernel adapter, install side (DESIGN §3, docs/hypersync-kernel.md): puts the
// connections received from a peer into the kernel conntrack table of the current network
// namespace, so the connection's next packet finds its state already there.
//
// Requests go in batches: many ctnetlink messages (IPCTNL_MSG_CT_NEW / CT_DELETE, built with
// nfct_nlmsg_build into an mnl_nlmsg_batch) in one sendmsg; the kernel's answers (every error,
// and the ack of the batch's last request) are matched to their request by sequence number.
//
// How an entry is created (what conntrackd does for recovered connections):
//   - the status keeps only SEEN_REPLY, ASSURED and FIXED_TIMEOUT (creatable_status());
//   - TCP entries get liberal window tracking (IP_CT_TCP_FLAG_BE_LIBERAL in both directions)
//     since this member never saw the sequence numbers, SACK permitted, and the TCP state;
//   - the remaining timeout, the mark, the zone; NAT through CTA_NAT_SRC / CTA_NAT_DST when
//     the status says SRC_NAT / DST_NAT (the translated address is read from the reply tuple).
// Upsert: an entry that exists is updated in place (CT_NEW without NLM_F_CREATE: timeout,
// status, TCP state and flags, mark), one that does not is created (NLM_F_CREATE|NLM_F_EXCL).
// Which is tried first follows what the previous apply() met most (InstallerOptions::
// upsert_order); the other is the fallback (ENOENT, EEXIST). What an update cannot change is
// refused by the kernel (NAT: EOPNOTSUPP; a status bit it will not clear: EBUSY), and then the
// entry is deleted and created again in the next batch (adjacent in one sendmsg), so it carries
// the sender's state entirely. Entries NAT'd by the sender always take that way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/result.hpp"
#include "sync/conn.hpp"

namespace baton::sync::ct {

enum class UpsertOrder : std::uint8_t {
  adaptive,      // whichever the previous apply() found more of (created first at the start)
  create_first,  // best for new connections: an existing one costs a failed create more
  update_first,  // best for changes: a new one costs a failed update more
};

struct InstallerOptions {
  // Bytes of requests per sendmsg (a TCP create is about 200 bytes). Must stay below the
  // socket's send buffer; the acks of one batch must fit the receive buffer below.
  std::size_t batch_bytes = 64 * 1024;
  int rcvbuf_bytes = 8 * 1024 * 1024;
  // false: only the last request of a batch asks for an ack; failures are answered anyway
  // (netlink answers every error), so a request without an answer once the last one is
  // answered succeeded. true: every request asks for an ack (the same results, one more
  // message per request; for comparison in the benchmark).
  bool ack_every_request = false;
  UpsertOrder upsert_order = UpsertOrder::adaptive;
};

struct ApplyStats {
  std::size_t created = 0;   // new entries
  std::size_t updated = 0;   // existed: changed in place
  std::size_t replaced = 0;  // existed and could not be changed in place: deleted and created
  std::size_t removed = 0;
  std::size_t missing = 0;   // removes of entries that did not exist (not an error)
  std::size_t expired = 0;   // timeouts shortened by expire()
  std::size_t failed = 0;
  std::string first_error;   // "create tcp 10.0.0.1:1 -> 10.0.0.2:2: Invalid argument"
  std::size_t batches = 0;   // sendmsg calls
};

// The IPS_* bits a created entry may carry: SEEN_REPLY, ASSURED, FIXED_TIMEOUT. The kernel
// owns the others: CONFIRMED is set by libnetfilter_conntrack and the kernel; EXPECTED makes
// the create fail with EBUSY (measured on 6.18); NAT bits and NAT_DONE follow from CTA_NAT_*;
// DYING, SEQ_ADJUST, TEMPLATE, UNTRACKED, HELPER, OFFLOAD and HW_OFFLOAD describe the sender's
// own data path.
std::uint32_t creatable_status(std::uint32_t status);

class Installer {
 public:
  // Opens a ctnetlink request socket in the caller's current network namespace.
  static Result<Installer> open(InstallerOptions options = {});

  Installer(Installer&&) noexcept;
  Installer& operator=(Installer&&) noexcept;
  Installer(const Installer&) = delete;
  Installer& operator=(const Installer&) = delete;
  ~Installer();

  // Removes first, then upserts. Removes look in zone 0. An error is returned only when the
  // socket itself fails (sendmsg, recv); per-entry failures are counted in the stats.
  Result<ApplyStats> apply(std::span<const Conn> upserts, std::span<const ConnKey> removes);

  // Sets the remaining timeout of existing entries (zone 0) to `timeout_s`, without touching
  // anything else: a stale backup is left to expire, yet if traffic does flow through this
  // member for it after all, the kernel's next packet restores the normal timeout. Missing
  // entries are counted, not failed.
  Result<ApplyStats> expire(std::span<const ConnKey> keys, std::uint32_t timeout_s);

  // Creates each entry with its own request and waits for its ack (no batching, no upsert):
  // the baseline the benchmark compares apply() with.
  Result<ApplyStats> create_one_by_one(std::span<const Conn> conns);

  // The entry for `key` in `zone` as the kernel has it now (state, remaining timeout), or
  // nullopt if there is none.
  Result<std::optional<Conn>> get(const ConnKey& key, std::uint16_t zone = 0);

  // Deletes every entry of the namespace's table (both families, all zones).
  Status flush();

  // The socket's netlink port id: events caused by this installer carry it
  // (Capture::ignore_origin).
  std::uint32_t portid() const;

 private:
  struct Impl;
  explicit Installer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace baton::sync::ct
