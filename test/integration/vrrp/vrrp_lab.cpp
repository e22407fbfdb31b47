#include "vrrp_lab.hpp"

#include <algorithm>
#include <fstream>
#include <thread>

#ifndef BATON_VRRPD_PATH
#error "BATON_VRRPD_PATH must name the baton-vrrpd binary"
#endif
#ifndef BATON_SERVICE_NODE_PATH
#error "BATON_SERVICE_NODE_PATH must name the vrrp-service-node binary"
#endif

namespace baton::testing {

const Router kA{"a", "10.0.0.1", "10.9.0.1", "10.9.0.2"};
const Router kB{"b", "10.0.0.2", "10.9.0.2", "10.9.0.1"};

Result<std::unique_ptr<VrrpLab>> VrrpLab::create() {
  auto made = Lab::create();
  if (!made) return made.error();
  std::unique_ptr<VrrpLab> v(new VrrpLab(std::move(*made)));
  Lab& l = v->lab_;
  for (const char* n : {"sw", "a", "b", "c"})
    if (auto s = l.add_netns(n); !s) return s.error();
  if (auto s = l.add_bridge("sw", "br0"); !s) return s.error();
  const std::pair<const char*, const char*> hosts[] = {
      {"a", "10.0.0.1/24"}, {"b", "10.0.0.2/24"}, {"c", "10.0.0.10/24"}};
  for (const auto& [n, addr] : hosts) {
    std::string port = std::string("p") + n;
    if (auto s = l.add_veth(n, "eth0", "sw", port); !s) return s.error();
    if (auto s = l.attach("sw", port, "br0"); !s) return s.error();
    if (auto s = l.must(n, std::string("ip addr add ") + addr + " dev eth0"); !s) return s.error();
  }
  if (auto s = l.add_veth("a", "sync", "b", "sync"); !s) return s.error();
  if (auto s = l.must("a", "ip addr add 10.9.0.1/24 dev sync"); !s) return s.error();
  if (auto s = l.must("b", "ip addr add 10.9.0.2/24 dev sync"); !s) return s.error();
  return v;
}

Result<Daemon> VrrpLab::start_baton(const Router& r, int priority, std::vector<std::string> extra) {
  Daemon d;
  d.log = lab_.dir() + "/baton-" + r.ns + ".log";
  d.status = lab_.dir() + "/baton-" + r.ns + ".json";
  std::vector<std::string> argv = {BATON_VRRPD_PATH, "-i", "eth0", "--vrid", "51",
                                   "--priority", std::to_string(priority), "--vip",
                                   std::string(kVip) + "/24", "--status-file", d.status,
                                   "--status-period", "20ms", "--realtime"};
  if (std::find(extra.begin(), extra.end(), "--advert-interval") == extra.end())
    extra.insert(extra.end(), {"--advert-interval", "10ms"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto pid = lab_.spawn(r.ns, argv, d.log);
  if (!pid) return pid.error();
  d.pid = *pid;
  daemons_.push_back(d);
  return d;
}

Status VrrpLab::add_second_segment() {
  Lab& l = lab_;
  if (auto s = l.add_bridge("sw", "br1"); !s) return s;
  const std::pair<const char*, const char*> hosts[] = {
      {"a", "10.1.0.1/24"}, {"b", "10.1.0.2/24"}, {"c", "10.1.0.10/24"}};
  for (const auto& [n, addr] : hosts) {
    std::string port = std::string("q") + n;
    if (auto s = l.add_veth(n, "eth1", "sw", port); !s) return s;
    if (auto s = l.attach("sw", port, "br1"); !s) return s;
    if (auto s = l.must(n, std::string("ip addr add ") + addr + " dev eth1"); !s) return s;
  }
  return {};
}

Result<Daemon> VrrpLab::start_service_node(const Router& r, int priority,
                                           std::vector<std::string> extra) {
  Daemon d;
  d.log = lab_.dir() + "/node-" + r.ns + ".log";
  d.status = lab_.dir() + "/node-" + r.ns + ".json";
  std::string prio = std::to_string(priority);
  std::vector<std::string> argv = {
      BATON_SERVICE_NODE_PATH, "--group", "g" + r.ns, "--advert-interval", "10ms", "--realtime",
      "--status-file", d.status,
      "--segment", "name=ext,if=eth0,vrid=51,priority=" + prio + ",vip=" + kVip + "/24",
      "--segment", "name=int,if=eth1,vrid=52,priority=" + prio + ",vip=" + kVip2 + "/24"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto pid = lab_.spawn(r.ns, argv, d.log);
  if (!pid) return pid.error();
  d.pid = *pid;
  daemons_.push_back(d);
  return d;
}

Result<Daemon> VrrpLab::start_keepalived(const Router& r, int priority, int version,
                                         double interval, bool use_vmac) {
  Daemon d;
  std::string base = lab_.dir() + "/keepalived-" + r.ns;
  d.log = base + ".log";
  std::ofstream conf(base + ".conf");
  conf << "global_defs {\n  router_id ka_" << r.ns << "\n  vrrp_version " << version
       << "\n}\n"
       << "vrrp_instance VI_51 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n"
       << "  priority " << priority << "\n  advert_int " << interval << "\n"
       << (use_vmac ? "  use_vmac vrrp.51\n" : "") << "  virtual_ipaddress {\n    " << kVip
       << "/24\n  }\n}\n";
  conf.close();
  auto pid = lab_.spawn(r.ns,
                        {"/usr/sbin/keepalived", "-n", "-l", "-D", "-f", base + ".conf", "-p",
                         base + ".pid", "-r", base + ".vrrp.pid", "-c", base + ".check.pid"},
                        d.log);
  if (!pid) return pid.error();
  d.pid = *pid;
  daemons_.push_back(d);
  return d;
}

nlohmann::json VrrpLab::status(const Daemon& d) const {
  std::string text = read_text(d.status);
  if (text.empty()) return nullptr;
  return nlohmann::json::parse(text, nullptr, false);
}

std::string VrrpLab::state(const Daemon& d) const {
  auto j = status(d);
  if (!j.is_object() || !j.contains("state")) return "";
  return j["state"].get<std::string>();
}

bool VrrpLab::holds_vip(const Router& r) const {
  return lab_.run(r.ns, std::string("ip -4 -o addr show | grep -q ' ") + kVip + "/'").exit_code == 0;
}

bool VrrpLab::holds_address(const Router& r, const std::string& addr) const {
  return lab_.run(r.ns, "ip -4 -o addr show | grep -q ' " + addr + "/'").exit_code == 0;
}

std::string VrrpLab::logs() const {
  std::string out;
  for (const auto& d : daemons_) out += "---- " + d.log + "\n" + read_text(d.log);
  return out;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

}  // namespace baton::testing
