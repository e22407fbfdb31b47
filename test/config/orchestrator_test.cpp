// The orchestrator config: the example file, defaults, and the values each key produces.
#include "config/orchestrator.hpp"

#include <gtest/gtest.h>

namespace baton::config {
namespace {

// The smallest valid file: everything else takes its default.
constexpr std::string_view kMinimal = R"(group: sg1
orchestrator: {id: 1, name: orch-a}
key_file: /etc/baton/key
members:
  - {name: gw1, id: 1}
segments:
  - {name: e, role: ext, interface: eth1, vrid: 1, virtual_ipv4: [192.0.2.1/24]}
  - {name: i, role: int, interface: eth2, vrid: 2, virtual_ipv4: [192.0.3.1/24]}
  - {name: de, role: dl-ext, interface: eth3, vrid: 3, virtual_ipv4: [10.1.0.1/24]}
  - {name: di, role: dl-int, interface: eth4, vrid: 4, virtual_ipv4: [10.2.0.1/24]}
)";

OrchestratorConfig parse_ok(std::string_view text) {
  auto r = parse_orchestrator_config(text, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : OrchestratorConfig{};
}

TEST(ConfigOrchestrator, ExampleFileParses) {
  auto r = load_orchestrator_config(BATON_EXAMPLES_DIR "/batond.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& c = *r;
  EXPECT_EQ(c.group, "sg1");
  EXPECT_EQ(c.self.id, 1);
  EXPECT_EQ(c.self.name, "orch-a");
  EXPECT_EQ(c.self.priority, 200);
  ASSERT_EQ(c.members.size(), 4u);
  EXPECT_EQ(c.members[0].name, "gw1");
  ASSERT_TRUE(c.members[0].mac_ext.has_value());
  EXPECT_EQ(c.members[0].mac_ext->to_string(), "02:00:00:00:01:01");
  EXPECT_EQ(c.members[0].mac_int->to_string(), "02:00:00:00:02:01");
  EXPECT_FALSE(c.members[1].mac_ext.has_value());
  EXPECT_EQ(c.members[1].weight, 100u);
  EXPECT_EQ(c.members[3].weight, 50u);
  ASSERT_EQ(c.spares.size(), 1u);
  EXPECT_EQ(c.spares[0].id, 5);
  EXPECT_EQ(c.distribution.mode, dist::Mode::general_l4);
  EXPECT_EQ(c.distribution.buckets, 65537u);
  EXPECT_EQ(c.distribution.seed, 0x9e3779b9u);
  ASSERT_EQ(c.segments.size(), 5u);
  const SegmentConfig* ext = c.segment(SegmentRole::ext);
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->interface, "eth1");
  EXPECT_EQ(ext->vrid, 10);
  ASSERT_EQ(ext->virtual_ipv4.size(), 1u);
  EXPECT_EQ(ext->virtual_ipv4[0].to_string(), "198.51.100.1/24");
  ASSERT_EQ(ext->virtual_ipv6.size(), 1u);
  EXPECT_EQ(ext->virtual_ipv6[0].to_string(), "2001:db8:10::1/64");
  const SegmentConfig* sync = c.segment(SegmentRole::sync);
  ASSERT_NE(sync, nullptr);
  EXPECT_EQ(sync->vrid, 0);
  EXPECT_EQ(c.vrrp.version, vrrp::Version::v3);
  EXPECT_EQ(c.vrrp.advert_interval_ms, 10u);
  EXPECT_EQ(c.vrrp.checksum, vrrp::ChecksumMode::pseudo_header);
  EXPECT_EQ(c.vrrp.sync_group, "sg1");
  EXPECT_EQ(c.peer_detection.interval_ms, 5u);
  ASSERT_TRUE(c.peer.has_value());
  EXPECT_EQ(c.peer->address.to_string(), "10.255.0.2");
  EXPECT_EQ(c.peer->port, 7701);
  EXPECT_EQ(c.control.to_string(), "[::]:7700");
  EXPECT_EQ(c.key_file, "/etc/baton/group.key");
  EXPECT_EQ(c.api.socket, "/run/baton/batond.sock");
  EXPECT_EQ(c.api.group, "baton");
  ASSERT_TRUE(c.metrics.has_value());
  EXPECT_EQ(c.metrics->to_string(), "127.0.0.1:9470");
  EXPECT_EQ(c.heartbeat.interval_ms, 10u);
  EXPECT_EQ(c.heartbeat.miss_count, 3u);
  EXPECT_EQ(c.log_level, spdlog::level::info);
  ASSERT_TRUE(c.autoscale.has_value());
  EXPECT_EQ(c.autoscale->metric, ScaleMetric::cpu);
  EXPECT_EQ(c.autoscale->min_members, 2u);
  EXPECT_EQ(c.autoscale->max_members, 5u);
}

TEST(ConfigOrchestrator, DefaultsApplied) {
  auto c = parse_ok(kMinimal);
  EXPECT_EQ(c.self.priority, 100);
  EXPECT_EQ(c.members[0].weight, 100u);
  EXPECT_TRUE(c.spares.empty());
  EXPECT_EQ(c.distribution.mode, dist::Mode::general);
  EXPECT_EQ(c.distribution.buckets, dist::kDefaultBuckets);
  EXPECT_EQ(c.distribution.seed, dist::kDefaultSeed);
  EXPECT_EQ(c.vrrp.version, vrrp::Version::v3);
  EXPECT_EQ(c.vrrp.advert_interval_ms, 10u);
  EXPECT_TRUE(c.vrrp.preempt);
  EXPECT_EQ(c.vrrp.preempt_delay_ms, 0u);
  EXPECT_EQ(c.vrrp.startup_hold_ms, 1000u);
  EXPECT_EQ(c.vrrp.checksum, vrrp::ChecksumMode::pseudo_header);
  EXPECT_EQ(c.vrrp.sync_group, "sg1");  // the group name
  EXPECT_EQ(c.peer_detection.interval_ms, 5u);
  EXPECT_EQ(c.peer_detection.multiplier, 3u);
  EXPECT_FALSE(c.peer.has_value());
  EXPECT_EQ(c.control.port, kDefaultControlPort);
  EXPECT_EQ(c.api.socket, "/run/baton/batond.sock");
  EXPECT_EQ(c.api.group, "");
  ASSERT_TRUE(c.metrics.has_value());
  EXPECT_EQ(c.metrics->to_string(), "127.0.0.1:9470");
  EXPECT_EQ(c.heartbeat.interval_ms, 10u);
  EXPECT_EQ(c.heartbeat.miss_count, 3u);
  EXPECT_EQ(c.log_level, spdlog::level::info);
  EXPECT_FALSE(c.autoscale.has_value());
}

TEST(ConfigOrchestrator, PeerPortDefaults) {
  auto c = parse_ok(std::string(kMinimal) + "peer: {address: 'fd00::2'}\n");
  ASSERT_TRUE(c.peer.has_value());
  EXPECT_EQ(c.peer->address.to_string(), "fd00::2");
  EXPECT_EQ(c.peer->port, kDefaultPeerPort);
}

TEST(ConfigOrchestrator, MetricsCanBeTurnedOff) {
  auto c = parse_ok(std::string(kMinimal) + "metrics: {listen: off}\n");
  EXPECT_FALSE(c.metrics.has_value());
  c = parse_ok(std::string(kMinimal) + "metrics: {listen: '[::1]:9100'}\n");
  ASSERT_TRUE(c.metrics.has_value());
  EXPECT_EQ(c.metrics->to_string(), "[::1]:9100");
}

TEST(ConfigOrchestrator, Vrrp2DefaultsToOneSecondAndWholeSeconds) {
  auto c = parse_ok(std::string(kMinimal) + "vrrp: {version: 2}\n");
  EXPECT_EQ(c.vrrp.version, vrrp::Version::v2);
  EXPECT_EQ(c.vrrp.advert_interval_ms, 1000u);
  c = parse_ok(std::string(kMinimal) + "vrrp: {version: 2, advert_interval_ms: 3000}\n");
  EXPECT_EQ(c.vrrp.advert_interval_ms, 3000u);
}

TEST(ConfigOrchestrator, ChecksumWithoutPseudoHeader) {
  auto c = parse_ok(std::string(kMinimal) + "vrrp: {checksum: without}\n");
  EXPECT_EQ(c.vrrp.checksum, vrrp::ChecksumMode::message_only);
}

TEST(ConfigOrchestrator, AutoscaleDefaultsForCpu) {
  auto c = parse_ok(std::string(kMinimal) + "spares: [{name: gw9, id: 9}]\nautoscale: {}\n");
  ASSERT_TRUE(c.autoscale.has_value());
  EXPECT_EQ(c.autoscale->metric, ScaleMetric::cpu);
  EXPECT_EQ(c.autoscale->scale_out_above, 80u);
  EXPECT_EQ(c.autoscale->scale_in_below, 60u);
  EXPECT_EQ(c.autoscale->window_s, 300u);
  EXPECT_EQ(c.autoscale->cooldown_s, 600u);
  EXPECT_EQ(c.autoscale->min_members, 1u);
  EXPECT_EQ(c.autoscale->max_members, 2u);  // one member and one spare
}

TEST(ConfigOrchestrator, AutoscaleOnPacketRate) {
  auto c = parse_ok(std::string(kMinimal) +
                    "autoscale: {metric: pps, scale_out_above: 2000000, scale_in_below: 500000}\n");
  ASSERT_TRUE(c.autoscale.has_value());
  EXPECT_EQ(c.autoscale->metric, ScaleMetric::pps);
  EXPECT_EQ(c.autoscale->scale_out_above, 2000000u);
}

TEST(ConfigOrchestrator, HexAndBoolSpellings) {
  auto c =
      parse_ok(std::string(kMinimal) + "distribution: {seed: 0xFFFFFFFF}\nvrrp: {preempt: no}\n");
  EXPECT_EQ(c.distribution.seed, 0xFFFFFFFFu);
  EXPECT_FALSE(c.vrrp.preempt);
}

TEST(ConfigOrchestrator, CommentsBeforeTheSettingsAreFine) {
  auto c = parse_ok("# comment\n\n" + std::string(kMinimal));
  EXPECT_EQ(c.group, "sg1");
}

TEST(ConfigOrchestrator, EqualityFollowsContent) {
  auto a = parse_ok(kMinimal);
  auto b = parse_ok(kMinimal);
  EXPECT_EQ(a, b);
  b.members[0].weight = 7;
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace baton::config
