// batond's Prometheus metrics: a plain snapshot of the numbers (filled by batond from its
// state, the XDP counters and the control receiver), its text exposition, and a small HTTP
// server for GET /metrics. The metrics themselves are declared in metrics_list.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace baton::api {

// baton_vrrp_state's values.
enum class VrrpMetricState : std::uint8_t { initialize = 0, backup = 1, master = 2, fault = 3 };

struct MemberMetrics {
  std::string name;            // label member="..."
  std::string state;           // "active", "joining", ... as in `show members`; baton_members
  std::uint64_t weight = 0;    // baton_member_weight
  std::uint64_t buckets = 0;   // baton_member_buckets
  bool up = false;             // baton_member_up: heartbeats arrive (not failed/unregistered)
  std::uint64_t cpu_permille = 0;  // baton_member_cpu_permille, as last reported
  std::uint64_t conntrack = 0;     // baton_member_conntrack, as last reported
  std::uint64_t xdp_packets = 0;   // baton_xdp_member_packets_total
};

struct SegmentVrrp {
  std::string segment;  // label segment="ext", "dl-ext", ...
  VrrpMetricState state = VrrpMetricState::initialize;
};

// baton_xdp_packets_total by verdict (the label is the field's name).
struct XdpVerdictPackets {
  std::uint64_t distributed = 0;
  std::uint64_t passed_local = 0;
  std::uint64_t passed_ttl = 0;
  std::uint64_t passed_not_ip = 0;
  std::uint64_t passed_unconfigured = 0;
  std::uint64_t dropped_malformed = 0;
  std::uint64_t no_member = 0;
};

struct MetricsSnapshot {
  std::vector<MemberMetrics> members;     // in the order to export (e.g. by id)
  std::uint64_t table_generation = 0;      // baton_table_generation
  std::uint64_t table_live_generation = 0; // baton_table_live_generation
  std::vector<SegmentVrrp> vrrp;           // baton_vrrp_state
  bool active = false;                     // baton_role
  bool peer_up = false;                    // baton_peer_up
  XdpVerdictPackets xdp;                   // baton_xdp_packets_total
  // baton_control_dropped_total: (reason name as in control::drop_reason_name, count); give
  // every reason, zeros included, so each series exists from the start.
  std::vector<std::pair<std::string, std::uint64_t>> control_dropped;
  std::uint64_t control_accepted = 0;      // baton_control_accepted_total
};

// The member states baton_members always exports (zero when no member is in them); a state
// outside this list that a member is in is exported too, after these.
inline constexpr std::string_view kMemberStates[] = {"active", "joining", "draining", "down",
                                                    "failed", "spare",   "unregistered"};

// Prometheus text exposition format 0.0.4: for every metric of metrics_list.hpp, in that
// order, "# HELP", "# TYPE" and its samples. Label values are escaped (\\, \", \n).
std::string render_metrics(const MetricsSnapshot& s);

// A label value escaped for the exposition format: backslash, double quote and newline.
std::string escape_label_value(std::string_view v);

// Serves GET /metrics over HTTP (cpp-httplib) on its own threads: one accepting, one
// answering, so `render` is never called concurrently with itself -- but it is called on the
// server's thread, not the caller's: `render` must be safe to call from there (take a lock,
// or read a snapshot the owner publishes atomically). Other paths and methods get 404.
class MetricsServer {
 public:
  // Listens on host:port (a numeric address; port 0 picks a free one, see port()). Fails with
  // a message naming the address and the reason, e.g. "Address already in use".
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& host, std::uint16_t port,
                                                      std::function<std::string()> render);
  ~MetricsServer();  // stops serving and joins its threads
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  std::uint16_t port() const;  // the port listened on
  std::uint64_t scrapes() const;  // GET /metrics answered so far

  struct Impl;

 private:
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace baton::api
