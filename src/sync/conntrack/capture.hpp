// HyperSync's kernel adapter, capture side (DESIGN §3, docs/hypersync-kernel.md): follows the
// conntrack table of the current network namespace over ctnetlink and hands each change over
// as a Conn (sync/conn.hpp).
//
// Events: one netlink socket subscribed to NEW, UPDATE and DESTROY, with a large receive
// buffer and NETLINK_NO_ENOBUFS, and a kernel-side (BPF) filter so the kernel never queues
// what HyperSync does not carry: other L4 protocols, and connections from or to the member's
// own addresses. The agent's loop watches fd() and calls drain() when it is readable.
//
// Table: dump() lists the whole table over a second socket (initial fill, periodic refresh,
// and the repair after an overrun), filtered the same way in user space.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/result.hpp"
#include "sync/conn.hpp"

struct mnl_socket;

namespace baton::sync::ct {

// An address of the member itself: family 4 or 6, bytes in network order (IPv4 in the first
// four bytes), as in Tuple.
struct Address {
  std::uint8_t family = 4;
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const Address&) const = default;
};
// "10.0.0.1" or "2001:db8::1".
Result<Address> parse_address(std::string_view text);

struct CaptureOptions {
  CaptureOptions();  // the defaults below
  // Receive buffer of the event socket. Set with SO_RCVBUFFORCE (ignores net.core.rmem_max;
  // needs CAP_NET_ADMIN), falling back to SO_RCVBUF (capped by rmem_max).
  int rcvbuf_bytes = 16 * 1024 * 1024;
  // L4 protocols replicated; events for others are dropped by the kernel-side filter.
  // Default: TCP, UDP, SCTP, ICMP, ICMPv6. Empty: every protocol.
  std::vector<std::uint8_t> protocols;
  // Connections whose original source or destination is one of these are not reported (the
  // member's own control and sync traffic). At most 127 IPv4 and 20 IPv6 addresses (the
  // limits of libnetfilter_conntrack's BPF filter).
  std::vector<Address> ignore_addresses;
};

enum class EventKind : std::uint8_t { created, updated, destroyed };

struct Event {
  EventKind kind = EventKind::created;
  Conn conn;
  // What the kernel put in the message. NEW and UPDATE events carry the remaining timeout;
  // DESTROY events do not. The TCP state is carried when it changed (and on DESTROY); a
  // field not carried is 0 in `conn`.
  bool has_timeout = false;
  bool has_tcp_state = false;
  // Netlink port id of the socket whose request caused the change (an Installer's portid()),
  // or 0 when the kernel's packet path did.
  std::uint32_t origin_portid = 0;
};

struct CaptureCounters {
  std::uint64_t created = 0;
  std::uint64_t updated = 0;
  std::uint64_t destroyed = 0;
  std::uint64_t filtered = 0;       // dropped in user space (filter, or ignored origin)
  std::uint64_t decode_errors = 0;  // messages that could not be turned into a Conn
  std::uint64_t overruns = 0;       // ENOBUFS seen on the event socket (events were lost)
  // Events the kernel dropped because the receive buffer was full: the socket's drop count
  // (SO_MEMINFO), which the kernel keeps also with NETLINK_NO_ENOBUFS set, when no ENOBUFS
  // is reported any more. When it grows, the caller should dump() again.
  std::uint64_t lost = 0;
  std::uint64_t dumped = 0;         // entries delivered by dump()
};

// The kernel's conntrack limit (net.netfilter.nf_conntrack_max) as the caller's namespace
// sees it, or 0 if it cannot be read: how many connections HyperSync's maps make room for at
// once (PeerSenderConfig::expected_connections).
std::size_t table_limit();

class Capture {
 public:
  // Opens both sockets in the caller's current network namespace.
  static Result<Capture> open(CaptureOptions options = {});

  Capture(Capture&&) noexcept;
  Capture& operator=(Capture&&) noexcept;
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;
  ~Capture();

  // The event socket, non-blocking: watch it for readability and call drain().
  int fd() const;
  // Reads every event available now without blocking (at most `max_events`, so one busy
  // table cannot starve the loop) and calls `fn` for each. Returns how many were delivered.
  // An overrun (ENOBUFS) is counted and logged, and reading goes on: the caller should
  // schedule a dump() to repair what was lost.
  Result<std::size_t> drain(const std::function<void(const Event&)>& fn,
                            std::size_t max_events = SIZE_MAX);
  // Lists the whole table (both families, all zones) through the dump socket, applying the
  // same protocol and address filter. Blocking; returns how many entries were delivered.
  Result<std::size_t> dump(const std::function<void(const Conn&)>& fn);

  // Drops events caused by requests from netlink port `portid` (the member's own Installer:
  // the entries it installs for peers must not be replicated back).
  void ignore_origin(std::uint32_t portid);
  // The user-space copy of the filter: whether `c` is a connection this capture reports.
  bool wanted(const Conn& c) const;

  const CaptureCounters& counters() const { return counters_; }
  // Receive buffer actually granted (as getsockopt reports it, i.e. doubled by the kernel).
  int rcvbuf_bytes() const { return rcvbuf_; }

 private:
  struct Sockets;
  Capture(std::unique_ptr<Sockets> s, CaptureOptions o, int rcvbuf);

  std::unique_ptr<Sockets> sockets_;
  CaptureOptions options_;
  std::array<bool, 256> proto_wanted_{};
  std::unordered_set<std::uint32_t> ignored_origins_;
  int rcvbuf_ = 0;
  std::uint32_t dump_seq_ = 0;
  std::uint32_t lost_seen_ = 0;
  std::vector<char> buf_;
  CaptureCounters counters_;
};

}  // namespace baton::sync::ct
