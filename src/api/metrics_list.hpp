// Every metric batond exports, declared once (docs/api.md, "Metrics"; docs/operator-guide.md,
// "Metrics"). A metric is added here and nowhere else: render_metrics() walks this list and
// fails to compile (-Wswitch) until the new entry has samples; the tests check that every
// entry appears in the output.
//
// BATON_METRICS(X) calls X(id, name, type, label, help) for each metric. A metric has at most
// one label; "" means none.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

// clang-format off
#define BATON_METRICS(X)                                                                          \
  X(members, "baton_members", gauge, "state",                                                     \
    "Members of the group in each state (active, joining, draining, down, failed, spare, "        \
    "unregistered).")                                                                             \
  X(member_buckets, "baton_member_buckets", gauge, "member",                                      \
    "Buckets of the distribution table the member holds.")                                        \
  X(member_weight, "baton_member_weight", gauge, "member",                                        \
    "The member's weight in the distribution.")                                                   \
  X(member_up, "baton_member_up", gauge, "member",                                                \
    "1 when the member's heartbeats arrive (it is neither failed nor unregistered), else 0.")     \
  X(member_cpu_permille, "baton_member_cpu_permille", gauge, "member",                            \
    "CPU use the member last reported, in permille.")                                             \
  X(member_conntrack, "baton_member_conntrack", gauge, "member",                                  \
    "Connection-tracking entries the member last reported.")                                      \
  X(table_generation, "baton_table_generation", gauge, "",                                        \
    "Generation of the distribution table batond last computed.")                                 \
  X(table_live_generation, "baton_table_live_generation", gauge, "",                              \
    "Generation of the distribution table the XDP program reads now.")                            \
  X(vrrp_state, "baton_vrrp_state", gauge, "segment",                                             \
    "VRRP state of the segment's instance: 0 initialize, 1 backup, 2 master, 3 fault.")           \
  X(role, "baton_role", gauge, "",                                                                \
    "1 when this orchestrator is the active one, else 0 (standby or starting).")                  \
  X(xdp_packets, "baton_xdp_packets_total", counter, "verdict",                                   \
    "Packets the XDP program handled, by verdict.")                                               \
  X(xdp_member_packets, "baton_xdp_member_packets_total", counter, "member",                      \
    "Packets the XDP program distributed to the member.")                                         \
  X(control_dropped, "baton_control_dropped_total", counter, "reason",                            \
    "Control messages dropped, by reason (docs/protocols.md lists the reasons).")                 \
  X(control_accepted, "baton_control_accepted_total", counter, "",                                \
    "Control messages accepted.")                                                                 \
  X(peer_up, "baton_peer_up", gauge, "",                                                          \
    "1 when the peer orchestrator is reachable, else 0.")
// clang-format on

namespace baton::api {

enum class MetricType { gauge, counter };

struct MetricInfo {
  std::string_view name;
  MetricType type;
  std::string_view label;  // "" when the metric has no label
  std::string_view help;
};

enum class Metric : std::size_t {
#define BATON_METRIC_ID(id, name, type, label, help) id,
  BATON_METRICS(BATON_METRIC_ID)
#undef BATON_METRIC_ID
};

inline constexpr std::array kMetrics = {
#define BATON_METRIC_INFO(id, name, type, label, help) MetricInfo{name, MetricType::type, label, help},
    BATON_METRICS(BATON_METRIC_INFO)
#undef BATON_METRIC_INFO
};

constexpr const MetricInfo& metric_info(Metric m) { return kMetrics[static_cast<std::size_t>(m)]; }

constexpr std::string_view metric_type_name(MetricType t) {
  return t == MetricType::gauge ? "gauge" : "counter";
}

}  // namespace baton::api
