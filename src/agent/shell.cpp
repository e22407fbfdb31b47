#include "agent/shell.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "agent/admin_store.hpp"
#include "agent/host.hpp"
#include "control/codec.hpp"
#include "vrrp/io/sockaddr.hpp"

namespace baton::agent {
namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<int> connect_udp(const config::Endpoint& e) {
  int fd = ::socket(vrrp::io::af_of(e.address.family), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return err("orchestrator {}: socket: {}", e.to_string(), std::strerror(errno));
  sockaddr_storage ss = vrrp::io::to_sockaddr(e.address, e.port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), vrrp::io::sockaddr_len(e.address.family)) != 0) {
    int er = errno;
    ::close(fd);
    return err("orchestrator {}: connect: {}", e.to_string(), std::strerror(er));
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<Shell>> Shell::open(ShellOptions o) {
  std::unique_ptr<Shell> s(new Shell());
  s->opts_ = std::move(o);
  auto held = config::ConfigHolder<config::AgentConfig>::open(s->opts_.config_path,
                                                              config::load_agent_config);
  if (!held) return held.error();
  s->config_ = std::make_unique<config::ConfigHolder<config::AgentConfig>>(std::move(*held));
  if (auto st = s->start(); !st) return st.error();
  return s;
}

Status Shell::start() {
  const config::AgentConfig& cfg = config_->current();
  state_dir_ = cfg.state_dir;
  spdlog::set_level(cfg.log_level);
  auto master = auth::load_key_file(cfg.key_file, opts_.key_rules);
  if (!master) return master.error();
  auth::Key key = control::control_key(*master);

  CoreConfig cc;
  cc.member = cfg.member;
  cc.orchestrators = cfg.orchestrators.size();
  for (auto [side, name, field] : {std::tuple{control::Side::external, cfg.interface_ext, "interfaces.ext"},
                                   std::tuple{control::Side::internal, cfg.interface_int, "interfaces.int"}}) {
    auto mac = read_mac(opts_.root, name);
    if (!mac) return err("{} ({}): {}", field, config_->path(), mac.error().message);
    cc.interfaces.push_back({side, name, *mac});
  }
  if (cfg.sync) {
    auto mac = read_mac(opts_.root, cfg.sync->interface);
    if (!mac) return err("sync.interface ({}): {}", config_->path(), mac.error().message);
    cc.interfaces.push_back({control::Side::sync, cfg.sync->interface, *mac});
    cc.capabilities |= control::kCapHyperSync;
    cc.sync.family = cfg.sync->address.family == vrrp::Family::ipv6 ? 6 : 4;
    std::copy(cfg.sync->address.bytes.begin(), cfg.sync->address.bytes.end(), cc.sync.address.begin());
    cc.sync.port = cfg.sync->port;
  }

  LoadedAdmin admin = load_admin_state(cfg.state_dir);
  if (admin.error)
    spdlog::error("persisted admin state unreadable, starting as admin up: {}", *admin.error);
  auto realtime = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  auto epoch = next_session_epoch(cfg.state_dir, static_cast<std::uint64_t>(realtime.count()));
  if (!epoch) return epoch.error();
  cc.self_epoch = *epoch;
  std::uint32_t node = agent_node_id(cfg.member);
  sender_ = std::make_unique<control::Sender>(key, node, *epoch);
  receiver_ = std::make_unique<control::Receiver>(key, control::ReceiverConfig{node, *epoch});
  core_ = std::make_unique<AgentCore>(cc, admin.record);
  meter_ = std::make_unique<LoadMeter>(opts_.root, std::vector{cfg.interface_ext, cfg.interface_int});

  auto loop = vrrp::io::Loop::create();
  if (!loop) return loop.error();
  loop_ = std::make_unique<vrrp::io::Loop>(std::move(*loop));
  for (std::size_t i = 0; i < cfg.orchestrators.size(); ++i) {
    auto fd = connect_udp(cfg.orchestrators[i]);
    if (!fd) return fd.error();
    socks_.push_back(*fd);
    peers_.push_back(cfg.orchestrators[i].to_string());
    if (auto st = loop_->watch(*fd, [this, i] { on_readable(i); }); !st) return st;
  }
  if (cfg.sync) {
    HyperSyncOptions ho;
    ho.member = cfg.member;
    ho.address = cfg.sync->address;
    ho.port = cfg.sync->port;
    ho.master = *master;
    ho.epoch = *epoch;
    auto hs = HyperSync::open(std::move(ho), *loop_,
                              [this](std::size_t i, std::uint64_t gen, std::uint64_t n) {
                                apply(core_->prepared(i, gen, n));
                              });
    if (!hs) return err("sync ({}): {}", config_->path(), hs.error().message);
    hs_ = std::move(*hs);
  }
  stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0) return err("eventfd: {}", std::strerror(errno));
  if (auto st = loop_->watch(stop_fd_, [this] { loop_->stop(); }); !st) return st;

  auto server = api::JsonServer::open(
      cfg.socket, "", *loop_,
      [this](const nlohmann::json& req, const api::Caller& c) { return handle(req, c); });
  if (!server) return err("socket {}: {}", cfg.socket, server.error().message);
  api_ = std::move(*server);

  spdlog::info("baton-agent: member {} (node id {:#010x}), session epoch {}, api {}", cfg.member,
               node, *epoch, cfg.socket);
  on_load();
  apply(core_->start(loop_->clock().now()));
  rearm();
  return {};
}

Shell::~Shell() {
  api_.reset();  // unwatches and removes the socket file while the loop still exists
  for (int fd : socks_) {
    if (loop_) loop_->unwatch(fd);
    ::close(fd);
  }
  if (stop_fd_ >= 0) {
    if (loop_) loop_->unwatch(stop_fd_);
    ::close(stop_fd_);
  }
}

Status Shell::run() { return loop_->run(); }

void Shell::stop() {
  std::uint64_t one = 1;
  if (::write(stop_fd_, &one, sizeof one) < 0) spdlog::error("stop: eventfd write: {}", std::strerror(errno));
}

void Shell::apply(const Effects& effects, std::string* persist_error) {
  std::string failed;  // a Persist of this batch that failed
  for (const Effect& e : effects) {
    if (const auto* send = std::get_if<Send>(&e)) {
      control::Body body = send->body;
      // The core answers a persistent admin COMMAND after asking for the Persist: if that
      // failed, the orchestrator must not be told the change is done.
      if (auto* res = std::get_if<control::CommandResult>(&body); res && !failed.empty()) {
        res->status = control::CommandStatus::failed;
        res->detail = fmt::format("{}; but it could not be persisted and will not survive a "
                                  "restart: {}",
                                  res->detail, failed)
                          .substr(0, control::kMaxTextBytes);
      }
      auto bytes = sender_->seal(send->recipient_id, send->recipient_epoch, body);
      if (!bytes) {
        spdlog::error("cannot encode a {} message: {}",
                      control::message_type_name(control::type_of(body)), bytes.error().message);
        continue;
      }
      if (::send(socks_[send->orchestrator], bytes->data(), bytes->size(), 0) < 0) {
        // ECONNREFUSED: the orchestrator is not listening (yet); the core retries.
        if (send_errors_++ == 0 || errno != ECONNREFUSED)
          spdlog::warn("orchestrator {}: send: {}", peers_[send->orchestrator], std::strerror(errno));
      }
    } else if (const auto* p = std::get_if<Persist>(&e)) {
      Status st = p->record ? save_admin_state(state_dir_, *p->record)
                             : clear_admin_state(state_dir_);
      if (!st) {
        spdlog::error("admin state not persisted: {}", st.error().message);
        failed = st.error().message;
        if (persist_error) *persist_error = failed;
      }
    } else if (const auto* line = std::get_if<LogLine>(&e)) {
      spdlog::log(line->level, "{}", line->text);
    }
  }
}

void Shell::rearm() {
  loop_->clock().cancel(timer_);
  timer_ = loop_->clock().arm(core_->next_deadline(), [this] {
    apply(core_->tick(loop_->clock().now()));
    rearm();
  });
}

void Shell::on_readable(std::size_t i) {
  std::vector<std::uint8_t>& buf = rx_buf_;
  buf.resize(control::kMaxMessageBytes + 1);
  for (;;) {
    ssize_t n = ::recv(socks_[i], buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
        spdlog::warn("orchestrator {}: recv: {}", peers_[i], std::strerror(errno));
      if (errno != ECONNREFUSED) break;
      continue;  // a refused earlier send is reported once per recv; read on
    }
    control::Received r = receiver_->receive(std::span(buf.data(), static_cast<std::size_t>(n)));
    TimePoint now = loop_->clock().now();
    if (r.message) {
      apply(core_->on_message(i, *r.message, now, wall_ms()));
      if (const auto* q = std::get_if<control::FlowQuery>(&r.message->body)) {
        control::FlowReply reply;
        if (hs_) {
          reply = hs_->flow_reply(*q);
        } else {
          reply.query_id = q->query_id;
          reply.status = control::FlowStatus::error;
          reply.detail = "HyperSync is not configured on this member (no \"sync\" section)";
        }
        apply(core_->answer(i, r.message->header, std::move(reply)));
      }
      if (hs_) to_hypersync(i, *r.message);
    } else {
      auto reason = static_cast<unsigned>(r.drop->reason);
      bool first = !(warned_drops_ & (1u << reason));
      warned_drops_ |= 1u << reason;
      spdlog::log(first ? spdlog::level::warn : spdlog::level::debug,
                  "orchestrator {}: dropped a message: {}{}", peers_[i], r.drop->message,
                  first ? " (further drops for this reason are logged at debug level)" : "");
      if (r.authentic_header) apply(core_->on_authentic_drop(i, *r.authentic_header, now));
    }
  }
  rearm();
}

void Shell::to_hypersync(std::size_t i, const control::Message& m) {
  if (const auto& v = core_->orchestrator(i); v.registered) hs_->on_member_id(v.member_id);
  if (const auto* g = std::get_if<control::GroupInfo>(&m.body)) {
    hs_->on_group_info(*g);
  } else if (const auto* t = std::get_if<control::TablePush>(&m.body)) {
    hs_->on_table(i, t->table);
  } else if (const auto* p = std::get_if<control::TablePrepare>(&m.body)) {
    hs_->on_prepare(i, p->table);
  }
}

void Shell::on_load() {
  core_->set_load(meter_->sample(loop_->clock().now()));
  if (meter_->last_errors() != load_errors_) {
    for (const auto& e : meter_->last_errors()) spdlog::warn("load measurement: {}", e);
    load_errors_ = meter_->last_errors();
  }
  loop_->clock().cancel(load_timer_);
  load_timer_ = loop_->clock().arm(loop_->clock().now() + opts_.load_period, [this] { on_load(); });
}

void Shell::reload() {
  auto before = config_->snapshot();
  if (auto st = config_->reload(); !st) {
    spdlog::error("config reload refused, keeping the running configuration: {}", st.error().message);
    return;
  }
  const config::AgentConfig& now = config_->current();
  if (now == *before) {
    spdlog::info("config reload: {} unchanged", config_->path());
    return;
  }
  spdlog::set_level(now.log_level);
  config::AgentConfig applied = *before;
  applied.log_level = now.log_level;
  if (applied == now) {
    spdlog::info("config reload: log level now {}", spdlog::level::to_string_view(now.log_level));
  } else {
    spdlog::warn("config reload: {} accepted; the log level applies now, the other changes "
                 "(member, orchestrators, interfaces, key_file, state_dir, socket, sync) at the "
                 "next restart",
                 config_->path());
  }
}

}  // namespace baton::agent
