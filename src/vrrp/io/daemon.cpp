#include "vrrp/io/daemon.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <spdlog/spdlog.h>

#include "vrrp/io/announce.hpp"
#include "vrrp/io/heartbeat.hpp"
#include "vrrp/io/heartbeat_link.hpp"
#include "vrrp/io/loop.hpp"
#include "vrrp/io/netlink.hpp"
#include "vrrp/io/status_file.hpp"
#include "vrrp/io/vmac.hpp"
#include "vrrp/io/vrrp_socket.hpp"
#include "vrrp/sync_group.hpp"
#include "vrrp/timers.hpp"
#include "vrrp/validate.hpp"

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

struct Counters {
  std::uint64_t adverts_rx = 0;
  std::uint64_t adverts_tx = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t own = 0;
  std::uint64_t transitions = 0;
  std::uint64_t announcements = 0;
  std::uint64_t address_errors = 0;
  std::uint64_t heartbeat_drops = 0;
  DropCounters drops;
};

class DaemonImpl final : public Daemon {
 public:
  DaemonImpl(DaemonOptions o, Loop loop, std::unique_ptr<Netlink> nl)
      : opt_(std::move(o)), loop_(std::move(loop)), nl_(std::move(nl)) {}
  ~DaemonImpl() override;

  Status init();
  Status run() override;

 private:
  Status open_signals();
  Status open_heartbeat();
  void start();

  void on_vrrp_readable();
  void on_link_events();
  void on_signal();
  void on_heartbeat_readable();
  void heartbeat_tick();
  void apply_heartbeat(const HeartbeatEffects& fx);
  void rearm_heartbeat();

  void feed(const Event& e);
  void apply(const GroupEffects& effects);
  void send_advert(const Advert& a);
  void announce(const std::vector<IpAddr>& addrs);
  void cancel_announcements();
  void change_addresses(const std::vector<IpAddr>& addrs, bool add);
  void after_state_change();
  void finish_exit(const char* why);
  void write_status();
  nlohmann::json status_json() const;

  const Instance& instance() const { return group_->member(0); }

  DaemonOptions opt_;
  Loop loop_;
  std::unique_ptr<Netlink> nl_;
  LinkInfo parent_;
  bool parent_usable_ = true;
  std::optional<VirtualMacLink> vmac_;
  int addr_ifindex_ = 0;
  std::optional<VrrpSocket> sock_;
  std::optional<Announcer> announcer_;
  std::optional<LinkMonitor> monitor_;
  std::optional<SyncGroup> group_;
  std::unique_ptr<TimerBinding> timers_;
  std::vector<IpAddr> local_addrs_;
  std::vector<IpAddr> destinations_;
  Expect expect_;
  std::vector<TimerId> announce_timers_;
  std::optional<HeartbeatLink> hb_link_;
  std::optional<HeartbeatDetector> hb_;
  std::optional<TimerId> hb_timer_;
  int sigfd_ = -1;
  std::uint64_t stalls_unlogged_ = 0;
  TimePoint last_stall_log_{};
  bool exiting_ = false;
  std::optional<TimerId> exit_timer_;
  Counters c_;
};

DaemonImpl::~DaemonImpl() {
  if (timers_) timers_->cancel_all();
  if (sigfd_ >= 0) ::close(sigfd_);
}

Status DaemonImpl::init() {
  auto parent = nl_->link(opt_.interface);
  if (!parent) return parent.error();
  parent_ = *parent;
  parent_usable_ = parent_.usable();
  Config& cfg = opt_.vrrp;
  if (cfg.primary.is_unspecified()) {
    auto addrs = nl_->addresses(parent_.ifindex, cfg.family);
    if (!addrs) return addrs.error();
    if (addrs->empty())
      return err("interface {} has no {} address to send adverts from (or give --source)",
                 opt_.interface, family_name(cfg.family));
    cfg.primary = addrs->front().addr;
  }
  std::string tx_if = opt_.interface;
  addr_ifindex_ = parent_.ifindex;
  MacAddress announce_mac = parent_.mac;
  if (opt_.use_vmac) {
    auto v = VirtualMacLink::create(*nl_, parent_, opt_.vmac_name, cfg.family, cfg.vrid,
                                    opt_.vmac_mode);
    if (!v) return err("virtual MAC on {}: {}", opt_.interface, v.error().message);
    vmac_.emplace(std::move(*v));
    tx_if = vmac_->name();
    addr_ifindex_ = vmac_->ifindex();
    announce_mac = vmac_->mac();
    spdlog::info("virtual MAC {} on {} (macvlan on {})", mac_to_string(vmac_->mac()),
                 vmac_->name(), opt_.interface);
  }
  auto sock = VrrpSocket::open({cfg.family, opt_.interface, tx_if, cfg.primary});
  if (!sock) return sock.error();
  sock_.emplace(std::move(*sock));
  auto ann = Announcer::open(addr_ifindex_, announce_mac);
  if (!ann) return ann.error();
  announcer_.emplace(std::move(*ann));
  auto mon = LinkMonitor::open();
  if (!mon) return mon.error();
  monitor_.emplace(std::move(*mon));

  auto inst = Instance::create(cfg);
  if (!inst) return inst.error();
  std::vector<Instance> members;
  members.push_back(std::move(*inst));
  auto group = SyncGroup::create(cfg.name, std::move(members));
  if (!group) return group.error();
  group_.emplace(std::move(*group));
  timers_ = std::make_unique<TimerBinding>(loop_.clock(), [this](std::size_t member, TimerKind k) {
    apply(group_->handle(loop_.clock().now(), member, ev::TimerFired{k}));
  });

  local_addrs_ = {cfg.primary};
  destinations_ = opt_.unicast_peers.empty() ? std::vector<IpAddr>{vrrp_group(cfg.family)}
                                             : opt_.unicast_peers;
  expect_.version = cfg.version;
  expect_.family = cfg.family;
  expect_.vrid = cfg.vrid;
  if (!opt_.unicast_peers.empty()) expect_.local_addresses = local_addrs_;
  expect_.v2_interval_cs = cfg.adver_interval_cs;
  expect_.v2_auth_type = cfg.v2_auth_type;
  expect_.v2_auth_data = cfg.v2_auth_data;

  if (auto s = open_signals(); !s) return s;
  if (auto s = open_heartbeat(); !s) return s;
  if (auto s = loop_.watch(sock_->rx_fd(), [this] { on_vrrp_readable(); }); !s) return s;
  if (auto s = loop_.watch(monitor_->fd(), [this] { on_link_events(); }); !s) return s;
  return loop_.watch(sigfd_, [this] { on_signal(); });
}

Status DaemonImpl::open_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&set, s);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
    return err("sigprocmask: {}", std::strerror(errno));
  sigfd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigfd_ < 0) return err("signalfd: {}", std::strerror(errno));
  return {};
}

Status DaemonImpl::open_heartbeat() {
  if (!opt_.heartbeat) return {};
  auto link = HeartbeatLink::open(opt_.heartbeat->local, opt_.heartbeat->peer);
  if (!link) return link.error();
  hb_link_.emplace(std::move(*link));
  std::random_device rd;
  hb_.emplace(opt_.heartbeat->timing, rd(), loop_.clock().now());
  spdlog::info("heartbeat {} -> {} every {} us, multiplier {}", opt_.heartbeat->local.to_string(),
               opt_.heartbeat->peer.to_string(), to_us(opt_.heartbeat->timing.interval),
               opt_.heartbeat->timing.multiplier);
  return loop_.watch(hb_link_->fd(), [this] { on_heartbeat_readable(); });
}

void DaemonImpl::start() {
  const Config& cfg = opt_.vrrp;
  spdlog::info("{}: VRRPv{} {} vrid {} priority {} interval {} ms on {} from {}, {} virtual "
               "address(es){}",
               cfg.name, static_cast<int>(cfg.version), family_name(cfg.family), cfg.vrid,
               cfg.priority, cfg.adver_interval_cs * 10, opt_.interface, cfg.primary.to_string(),
               cfg.virtual_addresses.size(),
               opt_.unicast_peers.empty() ? "" : ", unicast peers");
  TimePoint now = loop_.clock().now();
  apply(group_->handle_all(now, ev::Start{}));
  if (!parent_usable_)
    apply(group_->handle(now, 0, ev::InterfaceChanged{opt_.interface, false}));
  if (hb_) heartbeat_tick();
  if (!opt_.status_file.empty()) {
    write_status();
    auto period = opt_.status_period;
    struct Tick {
      DaemonImpl* self;
      Duration period;
      void operator()() const {
        self->write_status();
        self->loop_.clock().arm(self->loop_.clock().now() + period, *this);
      }
    };
    loop_.clock().arm(now + period, Tick{this, period});
  }
}

Status DaemonImpl::run() {
  start();
  Status s = loop_.run();
  if (!opt_.status_file.empty()) write_status();
  return s;
}

void DaemonImpl::feed(const Event& e) { apply(group_->handle_all(loop_.clock().now(), e)); }

void DaemonImpl::on_vrrp_readable() {
  while (auto v = sock_->receive()) {
    if (!*v) {
      c_.drops.count(v->reason());
      continue;
    }
    const RxPacket& rx = v->value();
    if (rx.src == opt_.vrrp.primary) {
      ++c_.own;
      continue;
    }
    auto adv = validate_advert(rx, expect_);
    if (!adv) {
      c_.drops.count(adv.reason());
      continue;
    }
    ++c_.adverts_rx;
    apply(group_->handle(loop_.clock().now(), 0, ev::AdvertReceived{adv.value(), rx.src}));
  }
}

void DaemonImpl::on_link_events() {
  for (const LinkInfo& l : monitor_->drain()) {
    if (l.ifindex != parent_.ifindex) continue;
    bool usable = l.usable();
    if (usable == parent_usable_) continue;
    parent_usable_ = usable;
    spdlog::info("{}: interface {} is {}", opt_.vrrp.name, opt_.interface,
                 usable ? "up" : "down (no carrier or admin down)");
    apply(group_->handle(loop_.clock().now(), 0, ev::InterfaceChanged{opt_.interface, usable}));
  }
}

void DaemonImpl::on_signal() {
  signalfd_siginfo si{};
  while (::read(sigfd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    switch (si.ssi_signo) {
      case SIGTERM:
      case SIGINT:
        if (exiting_) break;
        exiting_ = true;
        if (instance().state() != State::master) {
          finish_exit("not master");
          return;
        }
        spdlog::info("{}: signal {}: resigning (priority 0), exiting once the new master is heard",
                     opt_.vrrp.name, si.ssi_signo);
        feed(ev::Resign{});
        exit_timer_ = loop_.clock().arm(loop_.clock().now() + instance().master_down_interval(),
                                        [this] { finish_exit("no new master heard"); });
        break;
      case SIGUSR1:
        spdlog::info("{}: SIGUSR1: planned switchover (resign, priority 0)", opt_.vrrp.name);
        feed(ev::Resign{});
        break;
      case SIGUSR2:
        spdlog::info("{}: SIGUSR2: resignation withdrawn", opt_.vrrp.name);
        feed(ev::Unresign{});
        break;
      default:
        break;
    }
  }
}

void DaemonImpl::finish_exit(const char* why) {
  if (exit_timer_) loop_.clock().cancel(*exit_timer_);
  exit_timer_.reset();
  spdlog::info("{}: exiting ({})", opt_.vrrp.name, why);
  feed(ev::Shutdown{});
  loop_.stop();
}

void DaemonImpl::on_heartbeat_readable() {
  while (auto d = hb_link_->receive()) {
    if (!d->message) {
      ++c_.heartbeat_drops;
      continue;
    }
    apply_heartbeat(hb_->on_receive(loop_.clock().now(), *d->message));
  }
  rearm_heartbeat();
}

void DaemonImpl::heartbeat_tick() {
  hb_timer_.reset();
  apply_heartbeat(hb_->on_tick(loop_.clock().now()));
  rearm_heartbeat();
}

void DaemonImpl::rearm_heartbeat() {
  if (hb_timer_) loop_.clock().cancel(*hb_timer_);
  hb_timer_ = loop_.clock().arm(hb_->next_deadline(), [this] { heartbeat_tick(); });
}

void DaemonImpl::apply_heartbeat(const HeartbeatEffects& effects) {
  for (const auto& e : effects) {
    std::visit(Overloaded{
                   [&](const hb::Send& s) {
                     if (auto st = hb_link_->send(s.message); !st)
                       spdlog::warn("{}", st.error().message);
                   },
                   [&](const hb::PeerUp& u) {
                     spdlog::info("{}: heartbeat peer up ({})", opt_.vrrp.name,
                                  u.serving ? "serving" : "not serving");
                   },
                   [&](const hb::PeerDown& d) {
                     spdlog::warn("{}: heartbeat peer down: silent for {} us (detection time {} us)",
                                  opt_.vrrp.name, to_us(d.silence), to_us(d.detection));
                     feed(ev::PeerDown{});
                   },
                   [&](const hb::PeerNotServing&) {
                     spdlog::warn("{}: heartbeat peer alive but not serving (link down, fault or "
                                  "resigning)",
                                  opt_.vrrp.name);
                     feed(ev::PeerDown{});
                   },
                   [&](const hb::Stalled& s) {
                     // At most one line a second: a saturated machine stalls often.
                     ++stalls_unlogged_;
                     TimePoint now = loop_.clock().now();
                     if (now - last_stall_log_ < std::chrono::seconds(1)) return;
                     spdlog::warn("{}: our loop stalled {} time(s) beyond the detection time "
                                  "(latest {} us); heartbeats missed during a stall are not "
                                  "counted (consider --realtime)",
                                  opt_.vrrp.name, stalls_unlogged_, to_us(s.gap));
                     stalls_unlogged_ = 0;
                     last_stall_log_ = now;
                   },
               },
               e);
  }
}

void DaemonImpl::apply(const GroupEffects& effects) {
  bool changed = false;
  for (const TaggedEffect& t : effects) {
    if (timers_->apply(t.member, t.effect)) continue;
    std::visit(Overloaded{
                   [&](const fx::SendAdvert& s) { send_advert(s.advert); },
                   [&](const fx::AddAddresses& a) { change_addresses(a.addresses, true); },
                   [&](const fx::RemoveAddresses& r) {
                     change_addresses(r.addresses, false);
                     if (exiting_ && exit_timer_) finish_exit("new master heard");
                   },
                   [&](const fx::Announce& a) { announce(a.addresses); },
                   [&](const fx::StateChanged& s) {
                     ++c_.transitions;
                     changed = true;
                     spdlog::info("{}: {} -> {}: {} (priority {})", opt_.vrrp.name,
                                  state_name(s.from), state_name(s.to), s.reason,
                                  instance().priority());
                     if (s.from == State::master) cancel_announcements();
                   },
                   [&](const auto&) {},
               },
               t.effect);
  }
  if (changed) after_state_change();
}

void DaemonImpl::after_state_change() {
  State st = instance().state();
  if (hb_) {
    bool serving = (st == State::master || st == State::backup) && !instance().resigned();
    hb_->set_local(serving, st == State::master);
  }
  if (!opt_.status_file.empty()) write_status();
}

void DaemonImpl::send_advert(const Advert& a) {
  for (const IpAddr& dst : destinations_) {
    auto bytes = encode_advert(a, opt_.vrrp.primary, dst);
    if (!bytes) {
      spdlog::error("{}: cannot encode advert: {}", opt_.vrrp.name, bytes.error().message);
      ++c_.send_errors;
      continue;
    }
    if (auto s = sock_->send(*bytes, dst); !s) {
      if (c_.send_errors++ == 0) spdlog::warn("{}: {}", opt_.vrrp.name, s.error().message);
      continue;
    }
    ++c_.adverts_tx;
  }
}

void DaemonImpl::announce(const std::vector<IpAddr>& addrs) {
  cancel_announcements();
  auto offsets = announce_offsets(opt_.announce_count, opt_.announce_gap);
  TimePoint now = loop_.clock().now();
  for (Duration off : offsets) {
    auto send = [this, addrs] {
      if (instance().state() != State::master) return;
      if (auto s = announcer_->announce(addrs, opt_.vrrp.primary); !s)
        spdlog::warn("{}: {}", opt_.vrrp.name, s.error().message);
      else
        ++c_.announcements;
    };
    if (off == Duration{0}) send();
    else announce_timers_.push_back(loop_.clock().arm(now + off, send));
  }
}

void DaemonImpl::cancel_announcements() {
  for (TimerId id : announce_timers_) loop_.clock().cancel(id);
  announce_timers_.clear();
}

void DaemonImpl::change_addresses(const std::vector<IpAddr>& addrs, bool add) {
  for (const IpAddr& a : addrs) {
    IpPrefix p{a, static_cast<std::uint8_t>(a.family == Family::ipv4 ? 32 : 128)};
    for (const IpPrefix& v : opt_.vips)
      if (v.addr == a) p = v;
    Status s = add ? nl_->add_address(addr_ifindex_, p) : nl_->del_address(addr_ifindex_, p);
    if (!s) {
      ++c_.address_errors;
      spdlog::error("{}: {}", opt_.vrrp.name, s.error().message);
    }
  }
}

nlohmann::json DaemonImpl::status_json() const {
  const Instance& in = instance();
  nlohmann::json drops = nlohmann::json::object();
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    auto r = static_cast<DropReason>(i);
    if (c_.drops[r] != 0) drops[std::string(drop_reason_name(r))] = c_.drops[r];
  }
  nlohmann::json j = {
      {"name", opt_.vrrp.name},
      {"pid", ::getpid()},
      {"vrid", opt_.vrrp.vrid},
      {"state", std::string(state_name(in.state()))},
      {"priority", in.priority()},
      {"resigned", in.resigned()},
      {"primary", opt_.vrrp.primary.to_string()},
      {"master", in.master_address() ? in.master_address()->to_string() : ""},
      {"master_down_interval_us", to_us(in.master_down_interval())},
      {"interface", opt_.interface},
      {"interface_up", parent_usable_},
      {"vmac", vmac_ ? vmac_->name() : ""},
      {"counters",
       {{"adverts_rx", c_.adverts_rx},
        {"adverts_tx", c_.adverts_tx},
        {"send_errors", c_.send_errors},
        {"own", c_.own},
        {"transitions", c_.transitions},
        {"announcements", c_.announcements},
        {"address_errors", c_.address_errors},
        {"drops_total", c_.drops.total()},
        {"drops", drops}}},
      {"loop",
       {{"iterations", loop_.stats().iterations},
        {"max_lateness_us", to_us(loop_.stats().max_lateness)},
        {"late_over_1ms", loop_.stats().late_1ms}}},
  };
  if (hb_) {
    const auto& s = hb_->stats();
    j["heartbeat"] = {{"peer", std::string(peer_state_name(hb_->peer()))},
                      {"peer_serving", hb_->peer_serving()},
                      {"sent", s.sent},
                      {"received", s.received},
                      {"dropped", c_.heartbeat_drops},
                      {"peer_down", s.peer_down},
                      {"stalls", s.stalls},
                      {"max_gap_us", to_us(s.max_gap)}};
  }
  return j;
}

void DaemonImpl::write_status() {
  if (auto s = write_status_file(opt_.status_file, status_json()); !s)
    spdlog::warn("{}", s.error().message);
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions options) {
  auto loop = Loop::create();
  if (!loop) return loop.error();
  auto nl = Netlink::open();
  if (!nl) return nl.error();
  auto d = std::make_unique<DaemonImpl>(std::move(options), std::move(*loop),
                                        std::make_unique<Netlink>(std::move(*nl)));
  if (auto s = d->init(); !s) return s.error();
  return std::unique_ptr<Daemon>(std::move(d));
}

}  // namespace baton::vrrp::io
