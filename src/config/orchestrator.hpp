// The orchestrator's configuration (batond.yaml): the group, this orchestrator, its members
// and spares, distribution, segments with their virtual addresses, VRRP, the peer
// orchestrator, keys, API, metrics, member heartbeats, logging and auto-scaling.
// The reference of every key is docs/operator-guide.md, "Configuration reference".
#pragma once

#include <spdlog/common.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/values.hpp"
#include "core/result.hpp"
#include "dist/flow.hpp"
#include "dist/table.hpp"
#include "vrrp/advert.hpp"
#include "vrrp/checksum.hpp"

namespace baton::config {

inline constexpr std::uint16_t kDefaultControlPort = 7700;  // agent <-> orchestrator
inline constexpr std::uint16_t kDefaultPeerPort = 7701;     // orchestrator <-> orchestrator
inline constexpr std::uint16_t kDefaultMetricsPort = 9470;

struct OrchestratorIdentity {
  std::uint8_t id = 0;  // 1..255, different from the peer's
  std::string name;
  std::uint8_t priority = 100;  // VRRP priority 1..254
  bool operator==(const OrchestratorIdentity&) const = default;
};

struct MemberConfig {
  std::string name;
  dist::MemberId id = 0;           // 1..4096
  std::uint32_t weight = 100;      // 0..512; 0 takes no buckets
  std::optional<MacAddr> mac_ext;  // the member's MAC on the dl-ext segment (else learnt)
  std::optional<MacAddr> mac_int;  // ... on the dl-int segment
  // The orchestrator-side ports the member is plugged into: loss of carrier on any of them
  // fails the member at once (without waiting for missed heartbeats).
  std::vector<std::string> ports;
  bool operator==(const MemberConfig&) const = default;
};

struct DistributionConfig {
  dist::Mode mode = dist::Mode::general;
  std::uint32_t buckets = dist::kDefaultBuckets;  // a prime up to dist::kMaxBuckets
  std::uint32_t seed = dist::kDefaultSeed;
  bool operator==(const DistributionConfig&) const = default;
};

enum class SegmentRole : std::uint8_t { ext, int_, dl_ext, dl_int, sync };
std::string_view role_name(SegmentRole r);  // "ext", "int", "dl-ext", "dl-int", "sync"

struct SegmentConfig {
  std::string name;
  SegmentRole role = SegmentRole::ext;
  std::string interface;
  std::uint8_t vrid = 0;               // 1..255; 0 on a sync segment (no VRRP there)
  std::vector<IpPrefix> virtual_ipv4;  // the group's addresses on this segment
  std::vector<IpPrefix> virtual_ipv6;
  bool operator==(const SegmentConfig&) const = default;
};

struct VrrpSettings {
  vrrp::Version version = vrrp::Version::v3;
  std::uint32_t advert_interval_ms = 10;  // 10..40950 in 10 ms steps (v2: whole seconds)
  bool preempt = true;
  std::uint32_t preempt_delay_ms = 0;
  // A starting batond takes no mastership on silence alone for this long (vrrp::Config).
  std::uint32_t startup_hold_ms = 1000;
  vrrp::ChecksumMode checksum = vrrp::ChecksumMode::pseudo_header;  // v3 over IPv4
  std::string sync_group;                                           // default: the group name
  bool operator==(const VrrpSettings&) const = default;
};

// The BFD-style heartbeat with the peer orchestrator on the sync link.
struct PeerDetection {
  std::uint32_t interval_ms = 5;
  std::uint32_t multiplier = 3;  // peer declared dead after multiplier * interval
  bool operator==(const PeerDetection&) const = default;
};

struct PeerConfig {
  IpAddr address;
  std::uint16_t port = kDefaultPeerPort;
  bool operator==(const PeerConfig&) const = default;
};

struct ApiConfig {
  std::string socket = "/run/baton/batond.sock";
  std::string group;  // Unix group allowed besides root; empty = root only
  bool operator==(const ApiConfig&) const = default;
};

struct HeartbeatConfig {
  std::uint32_t interval_ms = 10;
  std::uint32_t miss_count = 3;  // a member is failed after this many missed heartbeats
  bool operator==(const HeartbeatConfig&) const = default;
};

enum class ScaleMetric : std::uint8_t { cpu, pps, bps, connections };
std::string_view metric_name(ScaleMetric m);  // "cpu", "pps", "bps", "connections"

struct AutoscaleConfig {
  ScaleMetric metric = ScaleMetric::cpu;
  // cpu: percent of the members' average; others: per-member average.
  std::uint64_t scale_out_above = 80;
  std::uint64_t scale_in_below = 60;
  std::uint32_t window_s = 300;    // the threshold must hold this long
  std::uint32_t cooldown_s = 600;  // no new decision this long after one
  std::uint32_t min_members = 1;
  std::uint32_t max_members = 0;  // default: members + spares
  bool operator==(const AutoscaleConfig&) const = default;
};

struct OrchestratorConfig {
  std::string group;
  OrchestratorIdentity self;
  std::vector<MemberConfig> members;
  std::vector<MemberConfig> spares;
  DistributionConfig distribution;
  std::vector<SegmentConfig> segments;
  VrrpSettings vrrp;
  PeerDetection peer_detection;
  std::optional<PeerConfig> peer;  // absent: this orchestrator runs alone (no HA)
  Endpoint control{IpAddr{Family::ipv6, {}}, kDefaultControlPort};  // where agents connect
  std::string key_file;
  std::string state_dir = "/var/lib/batond";  // session epoch, audit log
  ApiConfig api;
  std::optional<Endpoint> metrics{Endpoint{IpAddr::v4(127, 0, 0, 1), kDefaultMetricsPort}};
  HeartbeatConfig heartbeat;
  // The network namespace (a name under /run/netns) where the members' ports are; empty:
  // batond's own. (In the lab the switch namespace stands for the orchestrators' ports.)
  std::string member_ports_netns;
  spdlog::level::level_enum log_level = spdlog::level::info;
  std::optional<AutoscaleConfig> autoscale;

  // The segment with `role`, if there is one.
  const SegmentConfig* segment(SegmentRole role) const;
  bool operator==(const OrchestratorConfig&) const = default;
};

// Parses the text of a batond config; errors (all of them, up to 20, one per line) are
// prefixed "name:line:column: field.path: ".
Result<OrchestratorConfig> parse_orchestrator_config(std::string_view text,
                                                     std::string_view name_for_messages);
// Reads and parses a file; messages name the file as `path` was given.
Result<OrchestratorConfig> load_orchestrator_config(const std::string& path);

}  // namespace baton::config
