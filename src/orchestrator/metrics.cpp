// batond's metrics: every 250 ms the loop thread renders a snapshot of its state into text;
// the HTTP thread serves the last text under a lock (MetricsServer's render contract).
#include <spdlog/spdlog.h>

#include "api/metrics.hpp"
#include "orchestrator/daemon_impl.hpp"

namespace baton::orchestrator {

namespace {

api::VrrpMetricState metric_state(vrrp::State s) {
  switch (s) {
    case vrrp::State::backup: return api::VrrpMetricState::backup;
    case vrrp::State::master: return api::VrrpMetricState::master;
    case vrrp::State::fault: return api::VrrpMetricState::fault;
    default: return api::VrrpMetricState::initialize;
  }
}

}  // namespace

Status DaemonImpl::open_metrics() {
  if (!cfg_.metrics) return {};
  auto srv = api::MetricsServer::start(cfg_.metrics->address.to_string(), cfg_.metrics->port,
                                       [this] {
                                         std::lock_guard lock(metrics_mu_);
                                         return metrics_text_;
                                       });
  if (!srv) return err("metrics: {}", srv.error().message);
  metrics_ = std::move(*srv);
  refresh_metrics();
  spdlog::info("metrics on http://{}/metrics", cfg_.metrics->to_string());
  return {};
}

void DaemonImpl::refresh_metrics() {
  if (!metrics_) return;
  api::MetricsSnapshot s;
  auto counts = core_.table().counts();
  auto counters = datapath_->maps().read_counters();
  for (const auto& m : core_.members()) {
    api::MemberMetrics mm;
    mm.name = m.name;
    mm.state = member_state_name(m.state);
    mm.weight = m.weight;
    mm.buckets = m.id < counts.size() ? counts[m.id] : 0;
    mm.up = m.state == MemberState::active || m.state == MemberState::down ||
            m.state == MemberState::spare;
    mm.cpu_permille = m.load.cpu_permille;
    mm.conntrack = m.load.conntrack_count;
    if (counters && m.id < counters->members.size()) mm.xdp_packets = counters->members[m.id].packets;
    s.members.push_back(std::move(mm));
  }
  s.table_generation = core_.table().generation();
  if (auto live = datapath_->maps().live_generation()) s.table_live_generation = *live;
  for (const auto& i : vrrp_->status().instances)
    s.vrrp.push_back({i.segment, metric_state(i.state)});
  s.active = core_.role() == Role::active;
  s.peer_up = peer_present(loop_.clock().now());
  if (counters) {
    using bpf::Verdict;
    s.xdp.distributed = counters->verdict(Verdict::distributed).packets;
    s.xdp.passed_local = counters->verdict(Verdict::passed_local).packets;
    s.xdp.passed_ttl = counters->verdict(Verdict::passed_ttl).packets;
    s.xdp.passed_not_ip = counters->verdict(Verdict::passed_not_ip).packets;
    s.xdp.passed_unconfigured = counters->verdict(Verdict::passed_unconfigured).packets;
    s.xdp.dropped_malformed = counters->verdict(Verdict::dropped_malformed).packets;
    s.xdp.no_member = counters->verdict(Verdict::no_member).packets;
  }
  const auto& drops = control_->receiver().drops();
  for (std::size_t r = 0; r < control::kDropReasonCount; ++r) {
    auto reason = static_cast<control::DropReason>(r);
    s.control_dropped.emplace_back(std::string(control::drop_reason_name(reason)), drops[reason]);
  }
  s.control_accepted = control_->receiver().accepted();
  std::string text = api::render_metrics(s);
  std::lock_guard lock(metrics_mu_);
  metrics_text_ = std::move(text);
}

}  // namespace baton::orchestrator
