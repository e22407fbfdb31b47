// vrrp-service-node (test only): a VRRP Service (src/vrrp/io/service.hpp) with several
// segments in one sync group, run in a Loop of its own as batond runs it, so the namespace
// tests can drive the embeddable engine rather than baton-vrrpd's one instance.
//
//   vrrp-service-node --group g --advert-interval 10ms --status-file F
//       --segment name=ext,if=eth0,vrid=51,priority=150,vip=10.0.0.100/24
//       --segment name=int,if=eth1,vrid=52,priority=150,vip=10.1.0.100/24
//
// Signals: SIGUSR1 resign(), SIGUSR2 unresign(), SIGHUP set_priority_all(50), SIGTERM
// shutdown() then exit 0; SIGINT
// destroys the Service without shutdown() and keeps the process running (the destructor's
// documented release), until SIGTERM.
// The status file holds the Service's status plus what the callbacks saw: every callback
// in order ("before-master", "state <old>-><new>: <reason>") with whether any of the
// group's virtual addresses was present in the namespace at that moment (getifaddrs).
#pragma GCC diagnostic ignored "-Wnull-dereference"  // CLI11, as in vrrpd_main.cpp
#include <ifaddrs.h>
#include <sched.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "vrrp/io/loop.hpp"
#include "vrrp/io/options.hpp"
#include "vrrp/io/service.hpp"
#include "vrrp/io/status_file.hpp"
#include "vrrp/io/status_json.hpp"

using namespace baton;
using namespace baton::vrrp;
using namespace baton::vrrp::io;

namespace {

// "name=ext,if=eth0,vrid=51,priority=150,vip=10.0.0.100/24[,vip=...][,vmac=NAME]"
Result<InstanceOptions> parse_segment(const std::string& text, std::uint16_t interval_cs) {
  InstanceOptions o;
  o.vrrp.adver_interval_cs = interval_cs;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto eq = item.find('=');
    if (eq == std::string::npos) return err("--segment '{}': '{}' is not key=value", text, item);
    std::string k = item.substr(0, eq), v = item.substr(eq + 1);
    if (k == "name") o.segment = v;
    else if (k == "if") o.interface = v;
    else if (k == "vrid") o.vrrp.vrid = static_cast<std::uint8_t>(std::stoi(v));
    else if (k == "priority") o.vrrp.priority = static_cast<std::uint8_t>(std::stoi(v));
    else if (k == "vmac") o.vmac_name = v;
    else if (k == "vip") {
      auto p = IpPrefix::parse(v);
      if (!p) return err("--segment '{}': {}", text, p.error().message);
      o.vips.push_back(*p);
    } else {
      return err("--segment '{}': unknown key '{}' (name, if, vrid, priority, vip, vmac)", text, k);
    }
  }
  return o;
}

bool any_present(const std::vector<IpAddr>& vips) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(static_cast<const void*>(i->ifa_addr));
    const auto* b = reinterpret_cast<const std::uint8_t*>(&sin->sin_addr);
    IpAddr a = IpAddr::v4(b[0], b[1], b[2], b[3]);
    for (const auto& v : vips) found = found || v == a;
  }
  ::freeifaddrs(list);
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vrrp-service-node: a multi-segment VRRP Service, for the namespace tests"};
  std::string group = "g", interval = "10ms", status_file, log_level = "info";
  std::vector<std::string> segments;
  app.add_option("--group", group, "Sync group name");
  app.add_option("--segment", segments, "name=..,if=..,vrid=..,priority=..,vip=..")->required();
  app.add_option("--advert-interval", interval, "Advertisement interval of every instance");
  app.add_option("--status-file", status_file, "JSON status, rewritten every 20 ms")->required();
  app.add_option("--log-level", log_level, "Log level");
  bool resign_in_callback = false, realtime = false;
  app.add_flag("--resign-in-before-master", resign_in_callback,
               "Call resign() from inside on_before_master, once (exercises a call made from a "
               "callback: it must run after that takeover's effects)");
  app.add_flag("--realtime", realtime, "SCHED_FIFO and mlockall, as baton-vrrpd --realtime");
  CLI11_PARSE(app, argc, argv);

  auto cs = parse_interval_cs(interval);
  if (!cs) {
    std::cerr << "vrrp-service-node: --advert-interval: " << cs.error().message << "\n";
    return 2;
  }
  ServiceOptions opts;
  opts.group = group;
  std::vector<IpAddr> vips;
  for (const auto& s : segments) {
    auto o = parse_segment(s, *cs);
    if (!o) {
      std::cerr << "vrrp-service-node: " << o.error().message << "\n";
      return 2;
    }
    for (const auto& p : o->vips) vips.push_back(p.addr);
    opts.instances.push_back(std::move(*o));
  }
  if (auto s = log::setup("vrrp-service-node", log_level); !s) return 2;
  if (realtime) {
    sched_param sp{};
    sp.sched_priority = 50;
    if (::sched_setscheduler(0, SCHED_FIFO, &sp) != 0 || ::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
      spdlog::error("--realtime: {}", std::strerror(errno));
      return 1;
    }
  }
  auto loop = Loop::create();
  if (!loop) return 1;

  nlohmann::json events = nlohmann::json::array();
  std::unique_ptr<Service> service;
  ServiceCallbacks cb;
  cb.on_before_master = [&] {
    bool present = any_present(vips);
    spdlog::info("callback: before-master (virtual address present: {})", present);
    events.push_back({{"event", "before-master"}, {"vip_present", present}});
    if (resign_in_callback) {
      resign_in_callback = false;
      service->resign();
    }
  };
  cb.on_state = [&](GroupState old, GroupState now, const std::string& reason) {
    bool present = any_present(vips);
    spdlog::info("callback: state {} -> {}: {} (virtual address present: {})",
                 group_state_name(old), group_state_name(now), reason, present);
    events.push_back({{"event", "state"}, {"from", std::string(group_state_name(old))},
                      {"to", std::string(group_state_name(now))}, {"reason", reason},
                      {"vip_present", present}});
  };
  auto svc = Service::create(*loop, opts, cb);
  if (!svc) {
    spdlog::error("cannot start: {}", svc.error().message);
    return 1;
  }
  service = std::move(*svc);

  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP}) sigaddset(&set, s);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  int sigfd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigfd < 0) return 1;
  (void)loop->watch(sigfd, [&] {
    signalfd_siginfo si{};
    while (::read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (!service) {
        if (si.ssi_signo == SIGTERM) loop->stop();
        continue;
      }
      if (si.ssi_signo == SIGUSR1) service->resign();
      else if (si.ssi_signo == SIGUSR2) service->unresign();
      else if (si.ssi_signo == SIGHUP) service->set_priority_all(50);
      else if (si.ssi_signo == SIGINT) service.reset();
      else service->shutdown([&] { loop->stop(); });
    }
  });

  auto write = [&] {
    nlohmann::json j = service ? service_status_json(service->status())
                               : nlohmann::json{{"state", "destroyed"}};
    j["pid"] = ::getpid();
    j["events"] = events;
    if (auto s = write_status_file(status_file, j); !s) spdlog::warn("{}", s.error().message);
  };
  std::function<void()> tick = [&] {
    write();
    loop->clock().arm(loop->clock().now() + std::chrono::milliseconds(20), tick);
  };
  service->start();
  tick();
  Status s = loop->run();
  write();
  service.reset();
  loop->unwatch(sigfd);
  ::close(sigfd);
  return s ? 0 : 1;
}
