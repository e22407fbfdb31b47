// The VRRP namespace topology shared by the privileged tests:
//
//   a (10.0.0.1) ─┐                 a and b: the two routers (baton-vrrpd, keepalived, FRR)
//   b (10.0.0.2) ─┼─ br0 in "sw"    c: a client / observer on the same segment
//   c (10.0.0.10)─┘                 a ── sync ── b: the heartbeat link (10.9.0.1 / 10.9.0.2)
//
// The virtual address is 10.0.0.100 on VRID 51 (virtual MAC 00:00:5e:00:01:33).
//
// The segment also carries IPv6 (when the kernel has it; has_ipv6()): fd00::1 on a, fd00::2 on
// b, fd00::10 on c, all /64, beside the link-local addresses the kernel gives eth0 (VRRPv3
// IPv6 adverts are sourced from the link-local, RFC 5798 5.1.2.1). DAD is off in every
// namespace (accept_dad=0, dad_transmits=0, set before any interface exists), so every IPv6
// address, link-locals included, is usable at once. The IPv6 virtual address is fd00::100 on
// VRID 51 (virtual MAC 00:00:5e:00:02:33, macvlan vrrp6.51).
//
// add_second_segment() adds a second segment for the multi-segment Service tests:
//   a (10.1.0.1), b (10.1.0.2), c (10.1.0.10) on eth1, bridged by br1 in "sw";
//   its virtual address is 10.1.0.100 on VRID 52.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "netns.hpp"

namespace baton::testing {

inline constexpr const char* kVip = "10.0.0.100";
inline constexpr const char* kVmac = "00:00:5e:00:01:33";
inline constexpr const char* kVip2 = "10.1.0.100";
inline constexpr const char* kVip6 = "fd00::100";
inline constexpr const char* kVmac6 = "00:00:5e:00:02:33";

struct Router {
  std::string ns;      // short name: "a" or "b"
  std::string addr;    // 10.0.0.1 / 10.0.0.2
  std::string sync;    // 10.9.0.1 / 10.9.0.2
  std::string peer_sync;
  std::string addr6;   // fd00::1 / fd00::2 (the global address; adverts use the link-local)
};
extern const Router kA;
extern const Router kB;

struct Daemon {
  pid_t pid = -1;
  std::string log;
  std::string status;  // baton-vrrpd's status file (empty for others)
  // FRR only: pid is vrrpd's; zebra runs beside it. vty_dir holds both daemons' vty sockets.
  pid_t zebra_pid = -1;
  std::string vty_dir;
  std::string ns;      // the router it runs on
  std::string vrrp_pid_file;  // keepalived only: the pid file of its VRRP child process
};

// FRR's programs (start_frr needs all three).
inline constexpr const char* kFrrZebra = "/usr/lib/frr/zebra";
inline constexpr const char* kFrrVrrpd = "/usr/lib/frr/vrrpd";
inline constexpr const char* kFrrVtysh = "/usr/bin/vtysh";
// The macvlan start_frr creates for FRR (FRR does not create it).
inline constexpr const char* kFrrMacvlan = "vrrp4-51";

class VrrpLab {
 public:
  // Builds the topology; on failure the Status says which step failed.
  static Result<std::unique_ptr<VrrpLab>> create();
  Lab& lab() { return lab_; }

  // baton-vrrpd on router r; `extra` are additional flags.
  Result<Daemon> start_baton(const Router& r, int priority, std::vector<std::string> extra = {});
  // baton-vrrpd on router r for the IPv6 virtual address (kVip6/64, VRID 51, 10 ms adverts);
  // its macvlan is vrrp6.51 and its log and status file are baton6-<router>.{log,json}.
  Result<Daemon> start_baton6(const Router& r, int priority, std::vector<std::string> extra = {});
  // Whether the namespaces have IPv6 (the addresses above were configured).
  bool has_ipv6() const { return ipv6_; }
  // The second segment (see the top of this file).
  Status add_second_segment();
  // vrrp-service-node on router r: a Service with two instances in one sync group, "ext"
  // (eth0, VRID 51, kVip) and "int" (eth1, VRID 52, kVip2), both at `priority`, 10 ms adverts.
  // Its status file is {"group", "state", "instances": [...], "events": [...]}.
  Result<Daemon> start_service_node(const Router& r, int priority,
                                    std::vector<std::string> extra = {});
  // keepalived on router r with VRRP `version` (2 or 3) and an advert interval in seconds.
  Result<Daemon> start_keepalived(const Router& r, int priority, int version, double interval,
                                  bool use_vmac);
  // keepalived on router r, VRRPv3, IPv6: VRID 51, kVip6/64, on use_vmac "vrrp6.51" if
  // `use_vmac` (keepalived then gives the macvlan a link-local address of its own).
  Result<Daemon> start_keepalived6(const Router& r, int priority, double interval, bool use_vmac);
  // A real kill -9 of keepalived: its VRRP child too. (Killing the parent alone is a clean
  // stop: the child is told by a SIGTERM, sends priority 0 and removes its addresses.)
  Status kill_keepalived(const Daemon& d);
  // FRR vrrpd (VRRPv3, IPv4, VRID 51, kVip) on router r, with zebra beside it, both started
  // inside r's namespace with their pid files, zserv socket and vty sockets in a directory of
  // this run (owned by the user frr, which the daemons drop to). Before the daemons start it
  // creates what FRR expects the operator to have made: macvlan kFrrMacvlan on eth0 with the
  // virtual MAC, mode bridge, holding kVip (FRR keeps it in protodown while backup), and
  // arp_ignore=1 / arp_announce=2 on eth0 (else eth0 answers ARP for kVip while backup).
  // `interval_ms` is a multiple of 10. Returns once both daemons' vty sockets exist.
  Result<Daemon> start_frr(const Router& r, int priority, int interval_ms = 10);
  // FRR's "show vrrp 51 json" for IPv4 (the "v4" object; null if vrrpd does not answer).
  nlohmann::json frr_status(const Daemon& d) const;
  // FRR's IPv4 state in baton's words: "master", "backup", "initialize" ("" if no answer).
  std::string frr_state(const Daemon& d) const;
  // Whether FRR's macvlan on router r is usable: up and not in protodown (FRR is master).
  bool frr_vmac_up(const Router& r) const;
  // Runs `vrrp 51 <command>` under `interface eth0` in FRR's configuration (vtysh).
  Status frr_configure(const Daemon& d, const std::string& command) const;
  // kill -9 of FRR: vrrpd and zebra.
  Status kill_frr(const Daemon& d);

  // The daemon's status file as JSON (null if it cannot be read yet).
  nlohmann::json status(const Daemon& d) const;
  std::string state(const Daemon& d) const;
  // Whether router r's namespace holds the virtual address (on any interface).
  bool holds_vip(const Router& r) const;
  bool holds_address(const Router& r, const std::string& addr) const;
  // Whether router r's namespace holds the IPv6 virtual address kVip6 (on any interface).
  bool holds_vip6(const Router& r) const;
  // Router r's link-local address on eth0 (the source of its IPv6 adverts); "" if none.
  std::string link_local(const Router& r) const;
  // Everything the daemons wrote, for failure messages.
  std::string logs() const;
  // Whether daemon d's log has `text` in it.
  static bool log_contains(const Daemon& d, std::string_view text) {
    return read_text(d.log).find(text) != std::string::npos;
  }

 private:
  // keepalived in r's namespace, its files under the lab's directory as `name`.*.
  Result<Daemon> spawn_keepalived(const Router& r, const std::string& name,
                                  const std::string& router_id, int version,
                                  const std::string& instance, int priority, double interval,
                                  const std::string& vmac, const std::string& vip);
  explicit VrrpLab(Lab lab) : lab_(std::move(lab)) {}
  Result<Daemon> spawn_baton(const Router& r, const std::string& tag, int priority,
                             const std::string& vip, std::vector<std::string> extra);
  Lab lab_;
  bool ipv6_ = false;
  std::vector<Daemon> daemons_;
};

// Polls `pred` every 5 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

// Skips the test (GTEST_SKIP) when namespaces or a needed program are unavailable.
#define VRRP_LAB_OR_SKIP(var, ...)                                                  \
  if (auto why = ::baton::testing::netns_unavailable()) GTEST_SKIP() << *why;       \
  for (const char* prog : std::vector<const char*>{__VA_ARGS__})                    \
    if (!::baton::testing::have_program(prog)) GTEST_SKIP() << "needs " << prog;    \
  auto var##_made = ::baton::testing::VrrpLab::create();                            \
  ASSERT_TRUE(var##_made) << var##_made.error().message;                            \
  auto& var = **var##_made

// As VRRP_LAB_OR_SKIP, and also skips when the namespaces have no IPv6.
#define VRRP_LAB6_OR_SKIP(var, ...)                                                 \
  VRRP_LAB_OR_SKIP(var, __VA_ARGS__);                                               \
  if (!var.has_ipv6()) GTEST_SKIP() << "needs IPv6 (/proc/sys/net/ipv6)"

}  // namespace baton::testing
