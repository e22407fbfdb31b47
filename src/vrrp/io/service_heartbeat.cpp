// The Service's sync-link heartbeat: the UDP link and the pure detector (heartbeat.hpp).
// Peer silent → ev::PeerDown to every instance (the core still waits for the adverts to fall
// silent: adverts rule). Peer known gone (its host answers port unreachable) or saying it
// stopped serving → ev::PeerDown{certain}: the core takes over at once.
#include <random>

#include <spdlog/spdlog.h>

#include "vrrp/io/service_impl.hpp"

namespace baton::vrrp::io {
namespace {

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::int64_t to_us(Duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

}  // namespace

Status ServiceImpl::open_heartbeat() {
  if (!opt_.heartbeat) return {};
  const HeartbeatOptions& h = *opt_.heartbeat;
  auto link = HeartbeatLink::open(h.local, h.peer);
  if (!link) return link.error();
  hb_link_.emplace(std::move(*link));
  std::random_device rd;
  hb_.emplace(h.timing, rd(), clock().now());
  spdlog::info("heartbeat {} -> {} every {} us, multiplier {}", h.local.to_string(),
               h.peer.to_string(), to_us(h.timing.interval), h.timing.multiplier);
  if (auto s = loop_.watch(hb_link_->fd(), [this] { on_heartbeat_readable(); }); !s) return s;
  watched_.push_back(hb_link_->fd());
  return {};
}

void ServiceImpl::close_heartbeat() {
  // The link itself stays open until destruction (its fd is unwatched by then): this may run
  // from inside on_heartbeat_readable's loop.
  if (hb_timer_) clock().cancel(*hb_timer_);
  hb_timer_.reset();
}

void ServiceImpl::on_heartbeat_readable() {
  while (!stopped_) {
    auto d = hb_link_->receive();
    if (!d) break;
    if (!d->message) {
      ++hb_drops_;
      continue;
    }
    apply_heartbeat(hb_->on_receive(clock().now(), *d->message));
  }
  take_refusals();
  rearm_heartbeat();
}

void ServiceImpl::heartbeat_tick() {
  hb_timer_.reset();
  apply_heartbeat(hb_->on_tick(clock().now()));
  take_refusals();
  rearm_heartbeat();
}

void ServiceImpl::take_refusals() {
  if (!stopped_ && hb_link_->take_refused()) apply_heartbeat(hb_->on_refused(clock().now()));
}

void ServiceImpl::rearm_heartbeat() {
  if (hb_timer_) clock().cancel(*hb_timer_);
  hb_timer_.reset();
  if (stopped_ || !started_) return;
  hb_timer_ = clock().arm(hb_->next_deadline(), [this] { heartbeat_tick(); });
}

// What our messages say: serving while backup or master and not resigned.
void ServiceImpl::update_heartbeat_local() {
  if (!hb_) return;
  GroupState st = group_->state();
  bool resigned = false;
  for (std::size_t i = 0; i < group_->size(); ++i)
    resigned = resigned || group_->member(i).resigned();
  bool serving = (st == GroupState::master || st == GroupState::backup) && !resigned;
  hb_->set_local(serving, st == GroupState::master);
}

void ServiceImpl::apply_heartbeat(const HeartbeatEffects& effects) {
  const std::string& g = opt_.group;
  for (const auto& e : effects) {
    if (stopped_) return;
    std::visit(Overloaded{
                   [&](const hb::Send& s) {
                     if (auto st = hb_link_->send(s.message); !st)
                       spdlog::warn("{}", st.error().message);
                   },
                   [&](const hb::PeerUp& u) {
                     spdlog::info("{}: heartbeat peer up ({})", g,
                                  u.serving ? "serving" : "not serving");
                   },
                   [&](const hb::PeerDown& d) {
                     spdlog::warn("{}: heartbeat peer down: silent for {} us (detection time {} us)",
                                  g, to_us(d.silence), to_us(d.detection));
                     feed_all(ev::PeerDown{});
                   },
                   [&](const hb::PeerGone& d) {
                     spdlog::warn("{}: heartbeat peer gone: its host answers port unreachable "
                                  "and it has been silent for {} us (its daemon is not running)",
                                  g, to_us(d.silence));
                     feed_all(ev::PeerDown{.certain = true});
                   },
                   [&](const hb::PeerNotServing& n) {
                     spdlog::warn("{}: heartbeat peer alive but not serving (link down, fault or "
                                  "resigning)",
                                  g);
                     feed_all(ev::PeerDown{.certain = n.was_serving});
                   },
                   [&](const hb::Stalled& s) {
                     // At most one line a second: a saturated machine stalls often.
                     ++stalls_unlogged_;
                     TimePoint now = clock().now();
                     if (now - last_stall_log_ < std::chrono::seconds(1)) return;
                     spdlog::warn("{}: our loop stalled {} time(s) beyond the detection time "
                                  "(latest {} us); heartbeats missed during a stall are not "
                                  "counted (consider --realtime)",
                                  g, stalls_unlogged_, to_us(s.gap));
                     stalls_unlogged_ = 0;
                     last_stall_log_ = now;
                   },
               },
               e);
  }
}

}  // namespace baton::vrrp::io
