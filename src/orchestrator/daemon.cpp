#include "orchestrator/daemon_impl.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "api/metrics.hpp"
#include "auth/epoch.hpp"
#include "auth/key_file.hpp"
#include "core/log.hpp"
#include "orchestrator/settings.hpp"

namespace baton::orchestrator {

namespace {

Result<bpf::Mac> interface_mac(const std::string& ifname) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return err("socket: {}", std::strerror(errno));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  int rc = ::ioctl(fd, SIOCGIFHWADDR, &ifr);
  int e = errno;
  ::close(fd);
  if (rc != 0) return err("interface {}: cannot read its MAC: {}", ifname, std::strerror(e));
  bpf::Mac m{};
  std::memcpy(m.data(), ifr.ifr_hwaddr.sa_data, 6);
  return m;
}

// Every address configured on this host's interfaces (packets to them go to the kernel).
std::vector<bpf::IpAddress> host_addresses() {
  std::vector<bpf::IpAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    bpf::IpAddress a;
    if (i->ifa_addr->sa_family == AF_INET) {
      a.family = 4;
      std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      a.family = 6;
      std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    out.push_back(a);
  }
  ::freeifaddrs(list);
  return out;
}

bpf::IpAddress to_bpf(const vrrp::IpAddr& a) {
  bpf::IpAddress b;
  b.family = a.family == vrrp::Family::ipv4 ? 4 : 6;
  b.bytes = a.bytes;
  return b;
}

std::string utc_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  ::gmtime_r(&ts.tv_sec, &t);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  return fmt::format("{}.{:03}Z", buf, ts.tv_nsec / 1'000'000);
}

Result<std::uint64_t> session_epoch(const std::string& state_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) return err("state_dir {}: {}", state_dir, ec.message());
  const std::string path = state_dir + "/epoch";
  std::uint64_t last = 0;
  if (std::ifstream in(path); in) in >> last;
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  std::uint64_t now_ns = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
                         static_cast<std::uint64_t>(ts.tv_nsec);
  std::uint64_t epoch = auth::next_epoch(last, now_ns);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << epoch << "\n";
    if (!out) return err("cannot write {}", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return err("cannot write {}: {}", path, std::strerror(errno));
  return epoch;
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::create(const DaemonOptions& options) {
  auto cfg = config::load_orchestrator_config(options.config_path);
  if (!cfg) return cfg.error();
  std::string level = options.log_level.empty()
                          ? std::string(spdlog::level::to_string_view(cfg->log_level).data())
                          : options.log_level;
  if (auto s = log::setup("batond", level); !s) return s.error();
  auto key = auth::load_key_file(cfg->key_file);
  if (!key) return key.error();
  auto epoch = session_epoch(cfg->state_dir);
  if (!epoch) return epoch.error();
  auto loop = vrrp::io::Loop::create();
  if (!loop) return loop.error();
  auto core = GroupCore::create(group_settings(*cfg), loop->clock().now());
  if (!core) return err("{}: {}", options.config_path, core.error().message);
  auto d = std::make_unique<DaemonImpl>(options, std::move(*cfg), std::move(*key),
                                        std::move(*loop), std::move(*core), *epoch);
  if (auto s = d->init(); !s) return s.error();
  return std::unique_ptr<Daemon>(std::move(d));
}

DaemonImpl::DaemonImpl(DaemonOptions o, config::OrchestratorConfig c, auth::Key key,
                       vrrp::io::Loop loop, GroupCore core, std::uint64_t epoch)
    : options_(std::move(o)),
      cfg_(std::move(c)),
      key_(std::move(key)),
      loop_(std::move(loop)),
      core_(std::move(core)),
      epoch_(epoch) {
  started_ = loop_.clock().now();
}

DaemonImpl::~DaemonImpl() {
  metrics_.reset();
  api_.reset();
  carrier_.reset();
  control_.reset();
  peer_channel_.reset();
  vrrp_.reset();
  if (signal_fd_ >= 0) {
    loop_.unwatch(signal_fd_);
    ::close(signal_fd_);
  }
}

Status DaemonImpl::init() {
  spdlog::info("batond {} (id {}) of group {}: {} member(s), {} spare(s), {} buckets, epoch {}",
               cfg_.self.name, cfg_.self.id, cfg_.group, cfg_.members.size(), cfg_.spares.size(),
               cfg_.distribution.buckets, epoch_);
  if (auto s = open_signals(); !s) return s;
  if (auto s = open_datapath(); !s) return s;
  auto ctl = Channel::open(cfg_.control, key_, cfg_.self.id, epoch_, loop_,
                           [this](const control::Received& r, const Peer& from) { on_control(r, from); });
  if (!ctl) return err("control channel: {}", ctl.error().message);
  control_ = std::move(*ctl);
  if (cfg_.peer) {
    config::Endpoint local{vrrp::IpAddr{vrrp::Family::ipv6, {}}, cfg_.peer->port};
    auto pc = Channel::open(local, key_, cfg_.self.id, epoch_, loop_,
                            [this](const control::Received& r, const Peer& from) { on_peer(r, from); });
    if (!pc) return err("peer channel: {}", pc.error().message);
    peer_channel_ = std::move(*pc);
    peer_.emplace();
    peer_->address = peer_of(config::Endpoint{cfg_.peer->address, cfg_.peer->port});
  } else {
    apply(core_.set_role(loop_.clock().now(), Role::active));
  }
  if (auto s = open_vrrp(); !s) return s;
  if (auto s = open_carrier(); !s) return s;
  auto srv = api::JsonServer::open(cfg_.api.socket, cfg_.api.group, loop_,
                                   [this](const nlohmann::json& req, const api::Caller& c) {
                                     return handle_api(req, c);
                                   });
  if (!srv) return err("api: {}", srv.error().message);
  api_ = std::move(*srv);
  if (auto s = open_metrics(); !s) return s;
  spdlog::info("api on {}; agents on udp {}{}", cfg_.api.socket, cfg_.control.to_string(),
               cfg_.peer ? fmt::format("; peer at {}", peer_->address.text) : "; no peer (alone)");
  return {};
}

// Carrier on the members' ports (members[].ports, in member_ports.netns): a port losing it
// fails its member at once.
Status DaemonImpl::open_carrier() {
  std::set<std::string> ports;
  for (const auto* list : {&cfg_.members, &cfg_.spares})
    for (const auto& m : *list)
      for (const auto& p : m.ports) {
        ports.insert(p);
        port_member_[p] = m.id;
      }
  if (ports.empty()) {
    spdlog::info("no member ports configured: members fail by missed heartbeats only");
    return {};
  }
  std::string where = cfg_.member_ports_netns.empty()
                          ? std::string("our namespace")
                          : "network namespace " + cfg_.member_ports_netns;
  auto w = CarrierWatch::open(loop_, cfg_.member_ports_netns, ports,
                              [this](const std::string& port, bool carrier) {
                                auto it = port_member_.find(port);
                                if (it == port_member_.end()) return;
                                spdlog::info("carrier: port {} {}", port,
                                             carrier ? "has carrier again" : "lost carrier");
                                apply(core_.on_carrier(loop_.clock().now(), it->second, port,
                                                       carrier));
                              });
  if (!w) return err("member ports: {}", w.error().message);
  carrier_ = std::move(*w);
  spdlog::info("watching carrier on {} member port(s) in {}", ports.size(), where);
  return {};
}

Status DaemonImpl::open_datapath() {
  const auto* ext = cfg_.segment(config::SegmentRole::ext);
  const auto* in = cfg_.segment(config::SegmentRole::int_);
  const auto* dl_ext = cfg_.segment(config::SegmentRole::dl_ext);
  const auto* dl_int = cfg_.segment(config::SegmentRole::dl_int);
  if (!ext || !in || !dl_ext || !dl_int)
    return err("{}: segments: batond needs one segment of each role ext, int, dl-ext and dl-int",
               options_.config_path);
  bpf::DatapathOptions o;
  o.pin_dir = fmt::format("/sys/fs/bpf/baton/{}-{}", cfg_.group, cfg_.self.name);
  auto dp = bpf::Datapath::open(o);
  if (!dp) return err("xdp: {}", dp.error().message);
  datapath_ = std::move(*dp);
  const std::pair<const config::SegmentConfig*, const config::SegmentConfig*> sides[2] = {
      {ext, dl_ext}, {in, dl_int}};
  for (int side = 0; side < 2; ++side) {
    auto [up, down] = sides[side];
    unsigned dl_index = ::if_nametoindex(down->interface.c_str());
    if (dl_index == 0)
      return err("segment {}: interface {} does not exist", down->name, down->interface);
    auto mac = interface_mac(down->interface);
    if (!mac) return mac.error();
    downlink_mac_[static_cast<std::size_t>(side)] = *mac;
    auto& maps = datapath_->maps();
    if (auto s = maps.set_tx_port(static_cast<std::uint32_t>(side), dl_index); !s)
      return err("xdp: downlink {}: {}", down->interface, s.error().message);
    auto mode = datapath_->attach(up->interface, side == 0 ? bpf::Side::ext : bpf::Side::internal);
    if (!mode) return err("xdp: uplink {}: {}", up->interface, mode.error().message);
    spdlog::info("xdp: {} uplink {} ({} mode) distributes to downlink {}",
                 side == 0 ? "ext" : "int", up->interface, bpf::attach_mode_name(*mode),
                 down->interface);
  }
  if (auto s = datapath_->release_unclaimed(); !s) spdlog::warn("xdp: {}", s.error().message);
  auto& maps = datapath_->maps();
  for (const auto& a : host_addresses()) (void)maps.add_local_address(a);
  for (const auto& seg : cfg_.segments) {
    for (const auto* list : {&seg.virtual_ipv4, &seg.virtual_ipv6})
      for (const auto& p : *list)
        if (auto s = maps.add_local_address(to_bpf(p.address)); !s)
          return err("xdp: local address {}: {}", p.address.to_string(), s.error().message);
  }
  if (auto g = maps.live_generation(); g && *g != 0)
    spdlog::info("xdp: took over a live table (generation {}): forwarding continues", *g);
  return {};
}

Status DaemonImpl::open_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return err("sigprocmask: {}", std::strerror(errno));
  signal_fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return err("signalfd: {}", std::strerror(errno));
  ::signal(SIGPIPE, SIG_IGN);
  return loop_.watch(signal_fd_, [this] { on_signal(); });
}

void DaemonImpl::on_signal() {
  signalfd_siginfo si{};
  while (::read(signal_fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    if (si.ssi_signo == SIGHUP) {
      reload();
      continue;
    }
    if (stopping_) continue;
    stopping_ = true;
    spdlog::info("signal {}: resigning and stopping; the XDP program stays attached",
                 ::strsignal(static_cast<int>(si.ssi_signo)));
    datapath_->keep_pinned();
    if (vrrp_) {
      vrrp_->shutdown([this] { loop_.stop(); });
    } else {
      loop_.stop();
    }
  }
}

void DaemonImpl::reload() {
  auto next = config::load_orchestrator_config(options_.config_path);
  if (!next) {
    spdlog::error("reload refused, still running the previous configuration: {}",
                  next.error().message);
    return;
  }
  std::vector<std::string> needs_restart;
  if (next->members != cfg_.members || next->spares != cfg_.spares) needs_restart.push_back("members");
  if (next->segments != cfg_.segments) needs_restart.push_back("segments");
  if (next->vrrp != cfg_.vrrp || next->self != cfg_.self) needs_restart.push_back("vrrp/orchestrator");
  if (next->distribution != cfg_.distribution) needs_restart.push_back("distribution");
  if (next->member_ports_netns != cfg_.member_ports_netns) needs_restart.push_back("member_ports");
  if (next->log_level != cfg_.log_level && options_.log_level.empty()) {
    spdlog::set_level(next->log_level);
    cfg_.log_level = next->log_level;
  }
  if (needs_restart.empty())
    spdlog::info("reloaded {}", options_.config_path);
  else
    spdlog::warn("reloaded {}; changes to {} take effect at the next restart",
                 options_.config_path, fmt::join(needs_restart, ", "));
}

void DaemonImpl::schedule_tick() {
  loop_.clock().arm(loop_.clock().now() + kTick, [this] {
    tick();
    schedule_tick();
  });
}

void DaemonImpl::tick() {
  TimePoint now = loop_.clock().now();
  if (stopping_) return;  // leaving: no more decisions (the peer has taken over)
  apply(core_.tick(now));
  peer_tick(now);
  // Every agent hears from us at least once a second (the table, again): an agent that hears
  // nothing for 3 s assumes we restarted and registers again.
  if (now - agents_pushed_ >= std::chrono::seconds(1)) {
    agents_pushed_ = now;
    for (const auto& m : core_.members()) push_table_to_agent(m);
  }
  if (now - metrics_refreshed_ >= std::chrono::milliseconds(250)) {
    metrics_refreshed_ = now;
    refresh_metrics();
  }
}

Status DaemonImpl::run() {
  vrrp_->start();
  schedule_tick();
  return loop_.run();
}

void DaemonImpl::apply(Effects&& fx) {
  for (const auto& l : fx.log) spdlog::info("{}", l);
  for (const auto& a : fx.audit) write_audit(a);
  if (fx.table) {
    if (auto s = datapath_->maps().apply_table(*fx.table, cfg_.distribution.mode, cfg_.distribution.seed);
        !s) {
      ++table_errors_;
      spdlog::error("xdp: table generation {} not installed: {}", fx.table->generation(),
                    s.error().message);
    }
  }
  for (const auto& p : fx.ports) {
    auto side = p.side == 0 ? bpf::Side::ext : bpf::Side::internal;
    Status s = p.mac ? datapath_->maps().set_member_port(
                           p.member, side,
                           bpf::MemberPort{*p.mac, downlink_mac_[static_cast<std::size_t>(p.side)],
                                           static_cast<std::uint32_t>(p.side)})
                     : datapath_->maps().clear_member_port(p.member, side);
    if (!s) spdlog::error("xdp: member {} port: {}", p.member, s.error().message);
  }
  for (const auto& send : fx.sends) {
    const Member* m = core_.find_id(send.member);
    auto addr = agent_addr_.find(send.member);
    if (!m || !m->agent || addr == agent_addr_.end()) continue;
    if (auto s = control_->send(addr->second, m->agent->node_id, m->agent->epoch, send.body); !s)
      spdlog::debug("{}", s.error().message);
  }
  if (fx.table && core_.role() == Role::active) {
    push_table_to_peer(loop_.clock().now());
    for (const auto& m : core_.members()) push_table_to_agent(m);
  }
  push_state_to_peer(true);
}

void DaemonImpl::push_table_to_agent(const Member& m) {
  auto addr = agent_addr_.find(m.id);
  if (!m.agent || addr == agent_addr_.end() || core_.table().generation() == 0) return;
  // Tables come from the active, or from a standby that follows it (the same tables, which
  // also tell the agents we are alive): never from a standby computing its own, which would
  // make the members replicate by another table than the data path runs.
  if (core_.role() != Role::active && !core_.following_peer()) return;
  // GROUP_INFO first: an agent needs the hash parameters and its peers' sync endpoints to
  // act on the table.
  if (auto s = control_->send(addr->second, m.agent->node_id, m.agent->epoch, group_info()); !s)
    spdlog::debug("{}", s.error().message);
  if (auto s = control_->send(addr->second, m.agent->node_id, m.agent->epoch,
                              control::TablePush{core_.table()});
      !s)
    spdlog::debug("{}", s.error().message);
}

control::GroupInfo DaemonImpl::group_info() const {
  control::GroupInfo g;
  g.mode = static_cast<std::uint8_t>(cfg_.distribution.mode);
  g.seed = cfg_.distribution.seed;
  for (const auto& m : core_.members())
    if (m.hypersync) g.members.push_back({m.id, m.name.substr(0, control::kMaxNameBytes), m.sync});
  return g;
}

void DaemonImpl::on_control(const control::Received& r, const Peer& from) {
  TimePoint now = loop_.clock().now();
  if (!r.accepted()) {
    // An agent speaking to an old session of ours (we restarted): tell it, so it registers.
    if (r.authentic_header && r.drop && r.drop->reason == control::DropReason::wrong_session) {
      auto& last = resync_sent_[r.authentic_header->sender_id];
      if (now - last >= std::chrono::milliseconds(100)) {
        last = now;
        control::Command c;
        c.kind = control::CommandKind::resync;
        c.reason = "orchestrator restarted: register again";
        (void)control_->send(from, r.authentic_header->sender_id, r.authentic_header->sender_epoch, c);
      }
    }
    return;
  }
  const auto& msg = *r.message;
  Effects fx;
  if (const auto* reg = std::get_if<control::Register>(&msg.body)) {
    if (const Member* m = core_.find(reg->name)) agent_addr_[m->id] = from;
    fx = core_.on_register(now, msg.header, *reg, from.text);
    // A new table goes to every agent (apply); otherwise this agent still needs ours.
    bool new_table = fx.table.has_value();
    apply(std::move(fx));
    fx = {};
    if (const Member* m = core_.find(reg->name); !new_table && m && core_.role() == Role::active &&
                                                 m->agent && m->agent->node_id == msg.header.sender_id)
      push_table_to_agent(*m);
  } else if (const auto* hb = std::get_if<control::Heartbeat>(&msg.body)) {
    if (const Member* m = core_.find_node(msg.header.sender_id)) agent_addr_[m->id] = from;
    fx = core_.on_heartbeat(now, msg.header, *hb);
  } else if (const auto* cr = std::get_if<control::CommandResult>(&msg.body)) {
    fx = core_.on_command_result(now, msg.header, *cr);
  } else if (const auto* ta = std::get_if<control::TableAck>(&msg.body)) {
    fx = core_.on_table_ack(now, msg.header, *ta);
  } else if (const auto* tp = std::get_if<control::TablePrepared>(&msg.body)) {
    fx = core_.on_table_prepared(now, msg.header, *tp);
  } else if (const auto* fr = std::get_if<control::FlowReply>(&msg.body)) {
    on_flow_reply(msg.header, *fr);
  }
  apply(std::move(fx));
}

void DaemonImpl::write_audit(const std::string& line) {
  spdlog::info("audit: {}", line);
  std::ofstream out(cfg_.state_dir + "/audit.log", std::ios::app);
  out << utc_now() << " " << line << "\n";
  if (!out) spdlog::error("cannot append to {}/audit.log", cfg_.state_dir);
}

}  // namespace baton::orchestrator
