// The VRRP namespace topology shared by the privileged tests:
//
//   a (10.0.0.1) ─┐                 a and b: the two routers (baton-vrrpd, keepalived, FRR)
//   b (10.0.0.2) ─┼─ br0 in "sw"    c: a client / observer on the same segment
//   c (10.0.0.10)─┘                 a ── sync ── b: the heartbeat link (10.9.0.1 / 10.9.0.2)
//
// The virtual address is 10.0.0.100 on VRID 51 (virtual MAC 00:00:5e:00:01:33).
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
#include <vector>

#include <nlohmann/json.hpp>

#include "netns.hpp"

namespace baton::testing {

inline constexpr const char* kVip = "10.0.0.100";
inline constexpr const char* kVmac = "00:00:5e:00:01:33";
inline constexpr const char* kVip2 = "10.1.0.100";

struct Router {
  std::string ns;      // short name: "a" or "b"
  std::string addr;    // 10.0.0.1 / 10.0.0.2
  std::string sync;    // 10.9.0.1 / 10.9.0.2
  std::string peer_sync;
};
extern const Router kA;
extern const Router kB;

struct Daemon {
  pid_t pid = -1;
  std::string log;
  std::string status;  // baton-vrrpd's status file (empty for others)
};

class VrrpLab {
 public:
  // Builds the topology; on failure the Status says which step failed.
  static Result<std::unique_ptr<VrrpLab>> create();
  Lab& lab() { return lab_; }

  // baton-vrrpd on router r; `extra` are additional flags.
  Result<Daemon> start_baton(const Router& r, int priority, std::vector<std::string> extra = {});
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
  // The daemon's status file as JSON (null if it cannot be read yet).
  nlohmann::json status(const Daemon& d) const;
  std::string state(const Daemon& d) const;
  // Whether router r's namespace holds the virtual address (on any interface).
  bool holds_vip(const Router& r) const;
  bool holds_address(const Router& r, const std::string& addr) const;
  // Everything the daemons wrote, for failure messages.
  std::string logs() const;

 private:
  explicit VrrpLab(Lab lab) : lab_(std::move(lab)) {}
  Lab lab_;
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

}  // namespace baton::testing
