#include "vrrp/io/service.hpp"

#include <algorithm>

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

}  // namespace

Result<std::unique_ptr<Service>> Service::create(Loop& loop, ServiceOptions opts,
                                                 ServiceCallbacks cb) {
  if (auto s = finish_service_options(opts); !s) return s.error();
  auto nl = Netlink::open();
  if (!nl) return nl.error();
  auto svc = std::make_unique<ServiceImpl>(loop, std::move(opts), std::move(cb),
                                           std::make_unique<Netlink>(std::move(*nl)));
  if (auto s = svc->init(); !s) return s.error();
  return std::unique_ptr<Service>(std::move(svc));
}

Status ServiceImpl::init() {
  std::vector<Instance> members;
  for (const InstanceOptions& o : opt_.instances) {
    auto io = InstanceIo::open(*nl_, clock(), o);
    if (!io) return io.error();
    auto inst = Instance::create((*io)->options().vrrp);
    if (!inst) return inst.error();  // check_config's message names the instance
    members.push_back(std::move(*inst));
    io_.push_back(std::move(*io));
  }
  auto group = SyncGroup::create(opt_.group, std::move(members));
  if (!group) return group.error();
  group_.emplace(std::move(*group));
  timers_ = std::make_unique<TimerBinding>(clock(), [this](std::size_t member, TimerKind k) {
    feed(member, ev::TimerFired{k});
  });
  auto mon = LinkMonitor::open();
  if (!mon) return mon.error();
  monitor_.emplace(std::move(*mon));
  if (auto s = open_heartbeat(); !s) return s;
  for (std::size_t i = 0; i < io_.size(); ++i) {
    auto on_rx = [this, i] {
      io_[i]->receive([this, i](const ev::AdvertReceived& a) { feed(i, a); });
    };
    if (auto s = loop_.watch(io_[i]->rx_fd(), on_rx); !s) return s;
    watched_.push_back(io_[i]->rx_fd());
  }
  if (auto s = loop_.watch(monitor_->fd(), [this] { on_link_events(); }); !s) return s;
  watched_.push_back(monitor_->fd());
  return {};
}

ServiceImpl::~ServiceImpl() {
  for (auto* id : {&deferred_timer_, &shutdown_timer_, &done_timer_}) {
    if (*id) clock().cancel(**id);
    id->reset();
  }
  // Destroyed mid-shutdown or with calls pending: they are dropped, done() is not called.
  deferred_.clear();
  shutdown_done_.clear();
  shutting_down_ = false;
  if (!stopped_ && group_) {
    bool held = false;
    for (std::size_t i = 0; i < group_->size(); ++i)
      held = held || group_->member(i).state() == State::master ||
             group_->member(i).holding_addresses();
    if (held)
      spdlog::warn("{}: destroyed without shutdown(): priority 0 sent, virtual addresses "
                   "removed at once",
                   opt_.group);
    quiet_ = true;
    release();
  }
  for (int fd : watched_) loop_.unwatch(fd);
  close_heartbeat();
}

void ServiceImpl::start() {
  run_or_defer([this] {
    if (started_ || stopped_) return;
    started_ = true;
    for (const auto& io : io_) {
      const InstanceOptions& o = io->options();
      const Config& cfg = o.vrrp;
      spdlog::info("{}: VRRPv{} {} vrid {} priority {} interval {} ms on {} from {}, {} virtual "
                   "address(es){}",
                   cfg.name, static_cast<int>(cfg.version), family_name(cfg.family), cfg.vrid,
                   cfg.priority, cfg.adver_interval_cs * 10, o.interface, cfg.primary.to_string(),
                   cfg.virtual_addresses.size(), o.unicast_peers.empty() ? "" : ", unicast peers");
    }
    feed_all(ev::Start{});
    for (std::size_t i = 0; i < io_.size(); ++i)
      if (!io_[i]->parent_usable())
        feed(i, ev::InterfaceChanged{io_[i]->options().interface, false});
    if (hb_) heartbeat_tick();
  });
}

void ServiceImpl::resign() {
  run_or_defer([this] {
    spdlog::info("{}: planned switchover (resign, priority 0)", opt_.group);
    feed_all(ev::Resign{});
  });
}

void ServiceImpl::unresign() {
  run_or_defer([this] {
    spdlog::info("{}: resignation withdrawn", opt_.group);
    feed_all(ev::Unresign{});
  });
}

void ServiceImpl::set_health(std::string_view source, std::uint8_t grade) {
  run_or_defer([this, s = std::string(source), grade] {
    feed_all(ev::HealthChanged{s, std::min<std::uint8_t>(grade, 100)});
  });
}

void ServiceImpl::set_priority_all(std::uint8_t priority) {
  run_or_defer([this, priority] {
    spdlog::info("{}: priority set to {}", opt_.group, priority);
    feed_all(ev::SetPriority{priority});
  });
}

void ServiceImpl::shutdown(std::function<void()> done) {
  run_or_defer([this, done = std::move(done)] {
    if (done) shutdown_done_.push_back(done);
    if (stopped_) return call_done();
    if (shutting_down_) return;  // under way: done() is called when it finishes
    shutting_down_ = true;
    if (group_->state() != GroupState::master) return finish_shutdown("not master");
    Duration wait{0};
    for (std::size_t i = 0; i < group_->size(); ++i)
      wait = std::max(wait, group_->member(i).master_down_interval());
    spdlog::info("{}: shutting down: resigning (priority 0), releasing once the new master is "
                 "heard",
                 opt_.group);
    feed_all(ev::Resign{});
    shutdown_timer_ = clock().arm(clock().now() + wait, [this] {
      shutdown_timer_.reset();
      finish_shutdown("no new master heard");
    });
    check_shutdown_progress();
  });
}

void ServiceImpl::check_shutdown_progress() {
  if (!shutting_down_ || stopped_ || !shutdown_timer_) return;
  for (std::size_t i = 0; i < group_->size(); ++i) {
    const Instance& m = group_->member(i);
    if (m.state() == State::master || m.holding_addresses()) return;
  }
  finish_shutdown("new master heard");
}

void ServiceImpl::finish_shutdown(const char* why) {
  if (stopped_) return;
  if (shutdown_timer_) clock().cancel(*shutdown_timer_);
  shutdown_timer_.reset();
  spdlog::info("{}: shutting down ({})", opt_.group, why);
  release();
  call_done();
}

void ServiceImpl::call_done() {
  if (done_timer_ || shutdown_done_.empty()) return;
  // From the loop, as the last thing that touches this object: done() may destroy it.
  done_timer_ = clock().arm(clock().now(), [this] {
    auto dones = std::move(shutdown_done_);
    shutdown_done_.clear();
    done_timer_.reset();
    for (auto& d : dones) d();
  });
}

void ServiceImpl::release() {
  if (stopped_) return;
  feed_all(ev::Shutdown{});
  stopped_ = true;
  timers_->cancel_all();
  for (auto& io : io_) {
    io->cancel_announcements();
    io->remove_vmac();
  }
  for (int fd : watched_) loop_.unwatch(fd);
  watched_.clear();
  close_heartbeat();
}

// ---- events in ----

void ServiceImpl::run_or_defer(std::function<void()> fn) {
  if (callback_depth_ == 0) return fn();
  deferred_.push_back(std::move(fn));
  if (deferred_timer_) return;
  deferred_timer_ = clock().arm(clock().now(), [this] {
    deferred_timer_.reset();
    auto calls = std::move(deferred_);
    deferred_.clear();
    for (auto& c : calls) c();
  });
}

void ServiceImpl::feed_all(const Event& e) {
  if (stopped_) return;
  apply(group_->handle_all(clock().now(), e));
}

void ServiceImpl::feed(std::size_t member, const Event& e) {
  if (stopped_) return;
  apply(group_->handle(clock().now(), member, e));
}

void ServiceImpl::on_link_events() {
  for (const LinkInfo& l : monitor_->drain()) {
    for (std::size_t i = 0; i < io_.size(); ++i) {
      InstanceIo& io = *io_[i];
      bool usable = l.usable();
      if (l.ifindex != io.parent_ifindex() || usable == io.parent_usable()) continue;
      io.set_parent_usable(usable);
      spdlog::info("{}: interface {} is {}", io.name(), io.options().interface,
                   usable ? "up" : "down (no carrier or admin down)");
      feed(i, ev::InterfaceChanged{io.options().interface, usable});
    }
  }
}

// ---- effects out ----

void ServiceImpl::apply(const GroupEffects& effects) {
  GroupState before = reported_;
  GroupState after = group_->state();
  if (after == GroupState::master && before != GroupState::master && cb_.on_before_master &&
      !quiet_) {
    ++callback_depth_;
    cb_.on_before_master();
    --callback_depth_;
  }
  for (const TaggedEffect& t : effects) carry_out(t);
  update_heartbeat_local();
  notify(before, after, effects);
  check_shutdown_progress();
}

void ServiceImpl::carry_out(const TaggedEffect& t) {
  if (timers_->apply(t.member, t.effect)) return;
  InstanceIo& io = *io_[t.member];
  std::visit(Overloaded{
                 [&](const fx::SendAdvert& s) { io.send_advert(s.advert); },
                 [&](const fx::AddAddresses& a) { io.change_addresses(a.addresses, true); },
                 [&](const fx::RemoveAddresses& r) { io.change_addresses(r.addresses, false); },
                 [&](const fx::Announce& a) {
                   std::size_t m = t.member;
                   io.announce(a.addresses,
                               [this, m] { return group_->member(m).state() == State::master; });
                 },
                 [&](const fx::StateChanged& s) {
                   io.count_transition();
                   spdlog::info("{}: {} -> {}: {} (priority {})", io.name(), state_name(s.from),
                                state_name(s.to), s.reason, group_->member(t.member).priority());
                   if (s.from == State::master) io.cancel_announcements();
                 },
                 [&](const auto&) {},
             },
             t.effect);
}

void ServiceImpl::notify(GroupState before, GroupState after, const GroupEffects& effects) {
  if (before == after) return;
  reported_ = after;
  std::string reason;
  for (const TaggedEffect& t : effects)
    if (const auto* s = std::get_if<fx::StateChanged>(&t.effect)) {
      reason = io_[t.member]->name() + ": " + s->reason;
      break;
    }
  if (io_.size() > 1)
    spdlog::info("{}: group {} -> {}: {}", opt_.group, group_state_name(before),
                 group_state_name(after), reason);
  if (!cb_.on_state || quiet_) return;
  ++callback_depth_;
  cb_.on_state(before, after, reason);
  --callback_depth_;
}

ServiceStatus ServiceImpl::status() const {
  ServiceStatus st;
  st.group = opt_.group;
  st.state = group_->state();
  st.stopped = stopped_;
  for (std::size_t i = 0; i < io_.size(); ++i) {
    const InstanceIo& io = *io_[i];
    const Instance& in = group_->member(i);
    const InstanceOptions& o = io.options();
    InstanceStatus s;
    s.segment = o.segment;
    s.name = o.vrrp.name;
    s.interface = o.interface;
    s.interface_up = io.parent_usable();
    s.vmac = io.vmac_name();
    s.family = o.vrrp.family;
    s.vrid = o.vrrp.vrid;
    s.state = in.state();
    s.priority = in.priority();
    s.resigned = in.resigned();
    s.primary = o.vrrp.primary;
    s.master = in.master_address();
    s.master_down_interval = in.master_down_interval();
    s.counters = io.counters();
    st.instances.push_back(std::move(s));
  }
  if (hb_) st.heartbeat = HeartbeatStatus{hb_->peer(), hb_->peer_serving(), hb_->stats(), hb_drops_};
  return st;
}

}  // namespace baton::vrrp::io
