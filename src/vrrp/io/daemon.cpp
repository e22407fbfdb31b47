// baton-vrrpd around the Service: its own Loop, the signals, the status file; the VRRP work
// is the Service's (service.hpp), with one instance.
#include "vrrp/io/daemon.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "vrrp/io/loop.hpp"
#include "vrrp/io/service.hpp"
#include "vrrp/io/status_file.hpp"
#include "vrrp/io/status_json.hpp"

namespace baton::vrrp::io {
namespace {

std::int64_t to_us(Duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

class DaemonImpl final : public Daemon {
 public:
  DaemonImpl(DaemonOptions o, Loop loop) : opt_(std::move(o)), loop_(std::move(loop)) {}
  ~DaemonImpl() override;

  Status init();
  Status run() override;

 private:
  Status open_signals();
  void on_signal();
  void start_status_ticks();
  void write_status();
  nlohmann::json status_json() const;

  DaemonOptions opt_;
  Loop loop_;
  std::unique_ptr<Service> svc_;
  int sigfd_ = -1;
  bool exiting_ = false;
};

DaemonImpl::~DaemonImpl() {
  svc_.reset();  // before the loop and the signal fd
  if (sigfd_ >= 0) {
    loop_.unwatch(sigfd_);
    ::close(sigfd_);
  }
}

Status DaemonImpl::init() {
  ServiceCallbacks cb;
  // The status file follows every state change, as the tests and the benchmark expect.
  cb.on_state = [this](GroupState, GroupState, const std::string&) {
    if (!opt_.status_file.empty()) write_status();
  };
  auto svc = Service::create(loop_, to_service_options(opt_), std::move(cb));
  if (!svc) return svc.error();
  svc_ = std::move(*svc);
  if (auto s = open_signals(); !s) return s;
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

Status DaemonImpl::run() {
  svc_->start();
  start_status_ticks();
  Status s = loop_.run();
  if (!opt_.status_file.empty()) write_status();
  return s;
}

void DaemonImpl::start_status_ticks() {
  if (opt_.status_file.empty()) return;
  write_status();
  struct Tick {
    DaemonImpl* self;
    Duration period;
    void operator()() const {
      self->write_status();
      self->loop_.clock().arm(self->loop_.clock().now() + period, *this);
    }
  };
  loop_.clock().arm(loop_.clock().now() + opt_.status_period, Tick{this, opt_.status_period});
}

void DaemonImpl::on_signal() {
  const std::string& name = opt_.vrrp.name;
  signalfd_siginfo si{};
  while (::read(sigfd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    switch (si.ssi_signo) {
      case SIGTERM:
      case SIGINT:
        if (exiting_) break;
        exiting_ = true;
        spdlog::info("{}: signal {}: {}", name, si.ssi_signo,
                     svc_->state() == GroupState::master
                         ? "resigning (priority 0), exiting once the new master is heard"
                         : "exiting");
        svc_->shutdown([this] {
          spdlog::info("{}: exiting", opt_.vrrp.name);
          loop_.stop();
        });
        break;
      case SIGUSR1:
        spdlog::info("{}: SIGUSR1: planned switchover (resign, priority 0)", name);
        svc_->resign();
        break;
      case SIGUSR2:
        spdlog::info("{}: SIGUSR2: resignation withdrawn", name);
        svc_->unresign();
        break;
      default:
        break;
    }
  }
}

// The flat one-instance shape baton-vrrpd has always written (plus pid and loop figures).
nlohmann::json DaemonImpl::status_json() const {
  ServiceStatus st = svc_->status();
  nlohmann::json j = instance_status_json(st.instances.at(0));
  j["pid"] = ::getpid();
  j["loop"] = {{"iterations", loop_.stats().iterations},
               {"max_lateness_us", to_us(loop_.stats().max_lateness)},
               {"late_over_1ms", loop_.stats().late_1ms}};
  if (st.heartbeat) j["heartbeat"] = heartbeat_status_json(*st.heartbeat);
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
  auto d = std::make_unique<DaemonImpl>(std::move(options), std::move(*loop));
  if (auto s = d->init(); !s) return s.error();
  return std::unique_ptr<Daemon>(std::move(d));
}

}  // namespace baton::vrrp::io
