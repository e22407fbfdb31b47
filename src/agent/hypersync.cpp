#include "agent/hypersync.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "agent/core.hpp"
#include "sync/flow_text.hpp"
#include "vrrp/io/sockaddr.hpp"

namespace baton::agent {
namespace {

// Every address of this namespace: connections from or to them are the member's own (control
// and sync traffic), not transit traffic to replicate.
std::vector<sync::ct::Address> local_addresses() {
  std::vector<sync::ct::Address> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    sync::ct::Address a;
    if (i->ifa_addr->sa_family == AF_INET) {
      a.family = 4;
      const auto* sin = reinterpret_cast<const sockaddr_in*>(static_cast<const void*>(i->ifa_addr));
      std::memcpy(a.bytes.data(), &sin->sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      a.family = 6;
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(static_cast<const void*>(i->ifa_addr));
      std::memcpy(a.bytes.data(), &sin6->sin6_addr, 16);
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  ::freeifaddrs(list);
  return out;
}

// Conntrack events taken per readiness of the event socket before what they changed is sent
// (the loop comes back at once while more are queued).
constexpr std::size_t kCaptureChunk = 4096;
// Records received from peers installed at once (one Installer::apply, then their ACKs).
constexpr std::size_t kInstallBatch = 256;

const char* tcp_state_name(std::uint8_t s) {
  static constexpr const char* kNames[] = {"NONE",      "SYN_SENT",  "SYN_RECV", "ESTABLISHED",
                                           "FIN_WAIT",  "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
                                           "CLOSE",     "SYN_SENT2"};
  return s < std::size(kNames) ? kNames[s] : "?";
}

}  // namespace

HyperSync::HyperSync(HyperSyncOptions o, vrrp::io::Loop& loop, PreparedFn prepared)
    : opts_(std::move(o)), loop_(loop), prepared_(std::move(prepared)) {}

Result<std::unique_ptr<HyperSync>> HyperSync::open(HyperSyncOptions o, vrrp::io::Loop& loop,
                                                   PreparedFn prepared) {
  std::unique_ptr<HyperSync> h(new HyperSync(std::move(o), loop, std::move(prepared)));
  if (auto st = h->start(); !st) return st.error();
  return h;
}

Status HyperSync::start() {
  const std::uint32_t self = agent_node_id(opts_.member);
  const auth::Key key = sync::sync_key(opts_.master);
  sealer_ = std::make_unique<sync::Sealer>(key, self, opts_.epoch);
  gate_ = std::make_unique<sync::Gate>(key, sync::GateConfig{self, opts_.epoch});
  sync::ReplicatorConfig rc;
  rc.self_node = self;
  // Room for the kernel's table in the maps at once: growing one rehashes every entry and
  // stalls the stream (docs/hypersync-bench.md, "Where the lag goes").
  rc.expected_connections = std::min<std::size_t>(sync::ct::table_limit(), std::size_t{1} << 20);
  rep_ = std::make_unique<sync::Replicator>(rc);

  auto inst = sync::ct::Installer::open();
  if (!inst) return err("hypersync: conntrack installer: {}", inst.error().message);
  installer_ = std::make_unique<sync::ct::Installer>(std::move(*inst));
  sync::ct::CaptureOptions co;
  co.ignore_addresses = local_addresses();
  auto cap = sync::ct::Capture::open(co);
  if (!cap) return err("hypersync: conntrack capture: {}", cap.error().message);
  capture_ = std::make_unique<sync::ct::Capture>(std::move(*cap));
  capture_->ignore_origin(installer_->portid());

  const int af = vrrp::io::af_of(opts_.address.family);
  sock_ = ::socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock_ < 0) return err("hypersync: socket: {}", std::strerror(errno));
  int big = 4 * 1024 * 1024;
  (void)::setsockopt(sock_, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  (void)::setsockopt(sock_, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  sockaddr_storage ss = vrrp::io::to_sockaddr(opts_.address, opts_.port);
  if (::bind(sock_, reinterpret_cast<const sockaddr*>(&ss), vrrp::io::sockaddr_len(opts_.address.family)) != 0)
    return err("hypersync: bind {} port {}: {} (is the sync address configured on this "
               "member?)",
               opts_.address.to_string(), opts_.port, std::strerror(errno));
  if (auto st = loop_.watch(sock_, [this] { on_socket(); }); !st) return st;
  if (auto st = loop_.watch(capture_->fd(), [this] { on_capture(); }); !st) return st;

  // What the kernel has now, so connections older than us are replicated too.
  on_dump();
  rep_->want_resync(true);
  resync_timer_ = loop_.clock().arm(loop_.clock().now() + opts_.want_resync_for,
                                    [this] { rep_->want_resync(false); });
  spdlog::info("hypersync: listening on {} port {}; {} connections in the kernel at start",
               opts_.address.to_string(), opts_.port, rep_->connections());
  rearm();
  return {};
}

HyperSync::~HyperSync() {
  loop_.clock().cancel(timer_);
  loop_.clock().cancel(dump_timer_);
  loop_.clock().cancel(resync_timer_);
  if (capture_) loop_.unwatch(capture_->fd());
  if (sock_ >= 0) {
    loop_.unwatch(sock_);
    ::close(sock_);
  }
}

void HyperSync::on_member_id(dist::MemberId id) {
  if (rep_->self() == id) return;
  spdlog::info("hypersync: member id {}", id);
  rep_->set_self(id);
  after_work();
}

void HyperSync::on_group_info(const control::GroupInfo& g) {
  std::vector<sync::Peer> peers;
  for (const auto& m : g.members) {
    if (m.sync.family == 0) continue;
    std::uint32_t node = agent_node_id(m.name);
    peers.push_back({m.id, m.name, node});
    auto fam = m.sync.family == 6 ? vrrp::Family::ipv6 : vrrp::Family::ipv4;
    peer_addr_[node] = vrrp::IpAddr::from_bytes(fam, std::span(m.sync.address.data(), fam == vrrp::Family::ipv6 ? 16 : 4));
    peer_port_[node] = m.sync.port;
  }
  bool news = peers != rep_->peers();
  rep_->set_group(g.mode == 1 ? dist::Mode::general_l4 : dist::Mode::general, g.seed,
                  std::move(peers));
  if (news) spdlog::info("hypersync: {} members take part", rep_->peers().size());
  after_work();
}

void HyperSync::on_table(std::size_t index, const dist::Table& t) {
  // Both orchestrators push; the standby may lag behind the active for a moment. An older
  // generation is taken only from the orchestrator whose table we run (it was restarted).
  if (t.generation() < rep_->generation() && table_from_ && *table_from_ != index) return;
  table_from_ = index;
  auto before = rep_->generation();
  install(rep_->set_table(t, loop_.clock().now()));
  if (rep_->generation() != before)
    spdlog::info("hypersync: table generation {}: {} connections here, {} in our buckets, {} "
                 "backups",
                 t.generation(), rep_->connections(), rep_->owned(), rep_->backups());
  after_work();
}

void HyperSync::on_prepare(std::size_t index, const dist::Table& next) {
  if (rep_->pending_generation() != next.generation())
    spdlog::info("hypersync: preparing generation {} for orchestrator {}", next.generation(), index);
  prepare_from_ = index;
  rep_->prepare(next, loop_.clock().now());
  after_work();
}

void HyperSync::on_capture() {
  const TimePoint now = loop_.clock().now();
  auto n = capture_->drain(
      [&](const sync::ct::Event& e) {
        if (e.kind == sync::ct::EventKind::destroyed)
          rep_->on_destroyed(e.conn.key);
        else
          rep_->on_conn(e.conn, e.has_timeout, e.has_tcp_state, now);
      },
      kCaptureChunk);
  if (!n) spdlog::warn("hypersync: conntrack events: {}", n.error().message);
  if (capture_->counters().lost != lost_seen_) {
    spdlog::warn("hypersync: the kernel dropped {} conntrack events (receive buffer full); "
                 "dumping the table to repair",
                 capture_->counters().lost - lost_seen_);
    lost_seen_ = capture_->counters().lost;
    on_dump();
  }
  after_work();
}

void HyperSync::on_socket() {
  const TimePoint now = loop_.clock().now();
  buf_.resize(sync::kMaxSyncDatagram + 1);
  std::vector<sync::Outgoing> out;
  sync::KernelOps k;
  for (int i = 0; i < 4096; ++i) {
    ssize_t n = ::recv(sock_, buf_.data(), buf_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto r = gate_->receive(std::span(buf_.data(), static_cast<std::size_t>(n)));
    if (r.message) {
      rep_->on_message(*r.message, now, out, k);
      // Install what has come so far once it makes a batch, and only then send those
      // messages' ACKs; the datagrams still queued wait for the next batch. Reading the whole
      // queue first would hold every record (and every ACK) until the last one is installed.
      if (k.install.size() + k.remove.size() >= kInstallBatch) {
        install(k);
        k = {};
        flush(std::move(out));
        out.clear();
      }
    } else if (r.authentic_header && r.drop && r.drop->reason == sync::DropReason::wrong_session) {
      rep_->on_wrong_session(*r.authentic_header, now, out);
    } else if (r.drop) {
      spdlog::debug("hypersync: dropped a datagram: {}", r.drop->message);
    }
  }
  install(k);
  flush(std::move(out));
  after_work();
}

void HyperSync::on_dump() {
  std::vector<sync::Conn> all;
  auto n = capture_->dump([&](const sync::Conn& c) { all.push_back(c); });
  if (!n) {
    spdlog::warn("hypersync: conntrack dump: {}", n.error().message);
  } else {
    rep_->on_dump(all, loop_.clock().now());
  }
  loop_.clock().cancel(dump_timer_);
  dump_timer_ = loop_.clock().arm(loop_.clock().now() + opts_.dump_interval, [this] {
    on_dump();
    after_work();
  });
}

void HyperSync::install(const sync::KernelOps& k) {
  if (k.empty()) return;
  if (!k.expire.empty()) {
    auto ex = installer_->expire(k.expire, sync::ReplicatorConfig{}.stale_timeout_s);
    if (!ex) spdlog::warn("hypersync: conntrack expire: {}", ex.error().message);
    else expired_ += ex->expired;
  }
  if (k.install.empty() && k.remove.empty()) return;
  auto st = installer_->apply(k.install, k.remove);
  if (!st) {
    ++install_failures_;
    spdlog::warn("hypersync: conntrack install: {}", st.error().message);
    return;
  }
  installed_ += st->created + st->replaced + st->updated;
  removed_ += st->removed;
  if (st->failed) {
    install_failures_ += st->failed;
    if (st->first_error != last_install_error_)
      spdlog::warn("hypersync: {} conntrack entries not installed: {}", st->failed, st->first_error);
    last_install_error_ = st->first_error;
  }
}

void HyperSync::flush(std::vector<sync::Outgoing>&& out) {
  for (const auto& o : out) {
    auto a = peer_addr_.find(o.peer_id);
    if (a == peer_addr_.end()) continue;
    auto bytes = sealer_->seal(o);
    if (!bytes) {
      spdlog::error("hypersync: cannot encode a {}: {}",
                    sync::message_type_name(sync::type_of(o.body)), bytes.error().message);
      continue;
    }
    sockaddr_storage ss = vrrp::io::to_sockaddr(a->second, peer_port_[o.peer_id]);
    if (::sendto(sock_, bytes->data(), bytes->size(), 0, reinterpret_cast<const sockaddr*>(&ss),
                 vrrp::io::sockaddr_len(a->second.family)) < 0) {
      if (send_errors_++ == 0 || errno != ECONNREFUSED)
        spdlog::debug("hypersync: send to {}: {}", a->second.to_string(), std::strerror(errno));
    }
  }
}

void HyperSync::after_work() {
  flush(rep_->poll(loop_.clock().now()));
  if (auto p = rep_->take_prepared()) {
    spdlog::info("hypersync: generation {} prepared: {} connections handed over and acknowledged",
                 p->first, p->second);
    if (prepared_) prepared_(prepare_from_, p->first, p->second);
  }
  rearm();
}

void HyperSync::rearm() {
  loop_.clock().cancel(timer_);
  TimePoint next = rep_->next_deadline();
  if (next == TimePoint::max()) next = loop_.clock().now() + std::chrono::milliseconds(200);
  timer_ = loop_.clock().arm(next, [this] { after_work(); });
}

nlohmann::json HyperSync::status() const {
  nlohmann::json peers = nlohmann::json::array();
  for (const auto& p : rep_->peers()) {
    nlohmann::json j{{"member", p.name}, {"id", p.id}};
    if (auto s = rep_->senders().find(p.id); s != rep_->senders().end()) {
      const auto& c = s->second.counters();
      j["to"] = {{"connections", s->second.size()},
                 {"pending", s->second.pending()},
                 {"in_flight", s->second.in_flight()},
                 {"in_sync", s->second.in_sync()},
                 {"srtt_us", std::chrono::duration_cast<std::chrono::microseconds>(s->second.srtt()).count()},
                 {"records_sent", c.records_sent},
                 {"records_retransmitted", c.records_retransmitted},
                 {"resyncs", c.resyncs}};
    }
    if (auto r = rep_->receivers().find(p.node_id); r != rep_->receivers().end()) {
      const auto& c = r->second.counters();
      j["from"] = {{"held", r->second.held_count()},
                   {"installs", c.installs},
                   {"removes", c.removes},
                   {"records_stale", c.records_stale}};
    }
    peers.push_back(std::move(j));
  }
  const auto& cc = capture_->counters();
  const auto& rc = rep_->counters();
  return {{"member_id", rep_->self()},
          {"generation", rep_->generation()},
          {"preparing", rep_->pending_generation() ? nlohmann::json(*rep_->pending_generation())
                                                   : nlohmann::json(nullptr)},
          {"connections", rep_->connections()},
          {"owned", rep_->owned()},
          {"backups", rep_->backups()},
          {"in_sync", rep_->in_sync()},
          {"peers", std::move(peers)},
          {"capture", {{"created", cc.created}, {"updated", cc.updated}, {"destroyed", cc.destroyed},
                       {"lost", cc.lost}, {"decode_errors", cc.decode_errors}}},
          {"kernel", {{"installed", installed_}, {"removed", removed_},
                      {"failures", install_failures_}}},
          {"refreshed", rc.refreshed},
          {"stale_expired", rc.stale_expired},
          {"expired_in_kernel", expired_},
          {"dropped_datagrams", gate_->drops().total()}};
}

control::FlowReply HyperSync::flow_reply(const control::FlowQuery& q) {
  control::FlowReply r;
  r.query_id = q.query_id;
  r.generation = rep_->generation();
  auto key = sync::parse_flow(q.flow);
  if (!key) {
    r.status = control::FlowStatus::error;
    r.detail = key.error().message.substr(0, control::kMaxTextBytes);
    return r;
  }
  if (auto v = rep_->view(*key)) r.backup = v->backup;
  auto got = installer_->get(*key);
  if (!got) {
    r.status = control::FlowStatus::error;
    r.detail = got.error().message.substr(0, control::kMaxTextBytes);
  } else if (!*got) {
    r.status = control::FlowStatus::not_held;
  } else {
    r.status = control::FlowStatus::held;
    r.tcp_state = (*got)->tcp_state;
    r.timeout_s = (*got)->timeout_s;
  }
  return r;
}

nlohmann::json HyperSync::flow(const sync::ConnKey& k) {
  auto v = rep_->view(k);
  nlohmann::json j{{"connection", sync::to_string(k)},
                   {"member_id", rep_->self()},
                   {"generation", rep_->generation()}};
  if (v) {
    j["bucket"] = v->bucket;
    j["owner"] = v->owner;
    j["successor"] = v->successor;
    j["replicated_to"] = v->replicated_to;
    j["backup"] = v->backup;
  }
  auto got = installer_->get(k);
  if (!got) {
    j["kernel_error"] = got.error().message;
  } else if (!*got) {
    j["held"] = false;
  } else {
    j["held"] = true;
    j["timeout_s"] = (*got)->timeout_s;
    if (k.proto == IPPROTO_TCP) j["state"] = tcp_state_name((*got)->tcp_state);
  }
  return j;
}

}  // namespace baton::agent
