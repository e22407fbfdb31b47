#include "vrrp_lab.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#ifndef BATON_VRRPD_PATH
#error "BATON_VRRPD_PATH must name the baton-vrrpd binary"
#endif
#ifndef BATON_SERVICE_NODE_PATH
#error "BATON_SERVICE_NODE_PATH must name the vrrp-service-node binary"
#endif

namespace baton::testing {

const Router kA{"a", "10.0.0.1", "10.9.0.1", "10.9.0.2", "fd00::1"};
const Router kB{"b", "10.0.0.2", "10.9.0.2", "10.9.0.1", "fd00::2"};

Result<std::unique_ptr<VrrpLab>> VrrpLab::create() {
  auto made = Lab::create();
  if (!made) return made.error();
  std::unique_ptr<VrrpLab> v(new VrrpLab(std::move(*made)));
  Lab& l = v->lab_;
  v->ipv6_ = ::access("/proc/sys/net/ipv6", F_OK) == 0;
  for (const char* n : {"sw", "a", "b", "c"}) {
    if (auto s = l.add_netns(n); !s) return s.error();
    // No DAD: set before the interfaces exist, so that every one of them (the daemons'
    // macvlans too) inherits it from "default" and its addresses are usable at once.
    if (v->ipv6_)
      if (auto s = l.must(n, "sysctl -q -w net.ipv6.conf.all.accept_dad=0 "
                             "net.ipv6.conf.default.accept_dad=0 "
                             "net.ipv6.conf.all.dad_transmits=0 "
                             "net.ipv6.conf.default.dad_transmits=0");
          !s)
        return s.error();
  }
  if (auto s = l.add_bridge("sw", "br0"); !s) return s.error();
  struct Host {
    const char* ns;
    const char* v4;
    const char* v6;
  };
  const Host hosts[] = {{"a", "10.0.0.1/24", "fd00::1/64"},
                        {"b", "10.0.0.2/24", "fd00::2/64"},
                        {"c", "10.0.0.10/24", "fd00::10/64"}};
  for (const auto& [n, addr, addr6] : hosts) {
    std::string port = std::string("p") + n;
    if (auto s = l.add_veth(n, "eth0", "sw", port); !s) return s.error();
    if (auto s = l.attach("sw", port, "br0"); !s) return s.error();
    std::string cmd = std::string("ip addr add ") + addr + " dev eth0";
    if (v->ipv6_) cmd += std::string(" && ip addr add ") + addr6 + " dev eth0 nodad";
    if (auto s = l.must(n, cmd); !s) return s.error();
  }
  if (auto s = l.add_veth("a", "sync", "b", "sync"); !s) return s.error();
  if (auto s = l.must("a", "ip addr add 10.9.0.1/24 dev sync"); !s) return s.error();
  if (auto s = l.must("b", "ip addr add 10.9.0.2/24 dev sync"); !s) return s.error();
  return v;
}

Result<Daemon> VrrpLab::start_baton(const Router& r, int priority, std::vector<std::string> extra) {
  return spawn_baton(r, "baton", priority, std::string(kVip) + "/24", std::move(extra));
}

Result<Daemon> VrrpLab::start_baton6(const Router& r, int priority,
                                     std::vector<std::string> extra) {
  if (!ipv6_) return err("start_baton6: the namespaces have no IPv6");
  return spawn_baton(r, "baton6", priority, std::string(kVip6) + "/64", std::move(extra));
}

Result<Daemon> VrrpLab::spawn_baton(const Router& r, const std::string& tag, int priority,
                                    const std::string& vip, std::vector<std::string> extra) {
  Daemon d;
  d.log = lab_.dir() + "/" + tag + "-" + r.ns + ".log";
  d.status = lab_.dir() + "/" + tag + "-" + r.ns + ".json";
  d.ns = r.ns;
  std::vector<std::string> argv = {BATON_VRRPD_PATH, "-i", "eth0", "--vrid", "51",
                                   "--priority", std::to_string(priority), "--vip",
                                   vip, "--status-file", d.status,
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
  return spawn_keepalived(r, "keepalived-" + r.ns, "ka_" + r.ns, version, "VI_51", priority,
                          interval, use_vmac ? "vrrp.51" : "", std::string(kVip) + "/24");
}

Result<Daemon> VrrpLab::start_keepalived6(const Router& r, int priority, double interval,
                                          bool use_vmac) {
  if (!ipv6_) return err("start_keepalived6: the namespaces have no IPv6");
  return spawn_keepalived(r, "keepalived6-" + r.ns, "ka6_" + r.ns, 3, "VI6_51", priority,
                          interval, use_vmac ? "vrrp6.51" : "", std::string(kVip6) + "/64");
}

Result<Daemon> VrrpLab::spawn_keepalived(const Router& r, const std::string& name,
                                         const std::string& router_id, int version,
                                         const std::string& instance, int priority,
                                         double interval, const std::string& vmac,
                                         const std::string& vip) {
  Daemon d;
  d.ns = r.ns;
  const std::string base = lab_.dir() + "/" + name;
  d.log = base + ".log";
  std::ofstream conf(base + ".conf");
  // The VRRP process realtime, as baton-vrrpd runs here (--realtime): at 10 ms adverts a
  // keepalived left in the normal class misses its schedule on a busy host, and its peer
  // then rightly takes over. Its CPU limit for a realtime burst (default 10 ms) raised: a
  // stalled VM otherwise gets the VRRP child SIGKILLed in the middle of taking over.
  conf << "global_defs {\n  router_id " << router_id << "\n  vrrp_version " << version
       << "\n  vrrp_rt_priority 50\n  vrrp_rlimit_rttime 1000000\n}\n"
       << "vrrp_instance " << instance << " {\n  state BACKUP\n  interface eth0\n"
       << "  virtual_router_id 51\n  priority " << priority << "\n  advert_int " << interval
       << "\n" << (vmac.empty() ? "" : "  use_vmac " + vmac + "\n")
       << "  virtual_ipaddress {\n    " << vip << "\n  }\n}\n";
  conf.close();
  if (!conf) return err("cannot write {}.conf", base);
  d.vrrp_pid_file = base + ".vrrp.pid";
  auto pid = lab_.spawn(r.ns,
                        {"/usr/sbin/keepalived", "-n", "-l", "-D", "-f", base + ".conf", "-p",
                         base + ".pid", "-r", d.vrrp_pid_file, "-c", base + ".check.pid"},
                        d.log);
  if (!pid) return pid.error();
  d.pid = *pid;
  daemons_.push_back(d);
  return d;
}

Status VrrpLab::kill_keepalived(const Daemon& d) {
  const pid_t child = static_cast<pid_t>(std::atoi(read_text(d.vrrp_pid_file).c_str()));
  if (child <= 0) return err("kill_keepalived: no VRRP child pid in '{}'", d.vrrp_pid_file);
  // Stop the parent first: it would respawn a child that dies, and its death would make the
  // child resign cleanly. SIGKILL ends a stopped process too.
  if (auto s = lab_.signal(d.pid, SIGSTOP); !s) return s;
  if (::kill(child, SIGKILL) != 0)
    return err("kill({}, SIGKILL) of keepalived's VRRP child: {}", child, std::strerror(errno));
  return lab_.signal(d.pid, SIGKILL);
}

namespace {

Status write_file(const std::string& path, const std::string& text, uid_t uid, gid_t gid) {
  std::ofstream f(path);
  f << text;
  f.close();
  if (!f) return err("cannot write {}", path);
  if (::chown(path.c_str(), uid, gid) != 0)
    return err("chown {}: {}", path, std::strerror(errno));
  return {};
}

}  // namespace

Result<Daemon> VrrpLab::start_frr(const Router& r, int priority, int interval_ms) {
  // The daemons drop to the user frr (running them as root fails: root is not in the vty
  // group frrvty), so their directory is frr's and the run's directory must be traversable.
  const passwd* pw = ::getpwnam("frr");
  if (pw == nullptr) return err("start_frr: no user frr (is the frr package installed?)");
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (::chmod(lab_.dir().c_str(), 0711) != 0)
    return err("chmod {}: {}", lab_.dir(), std::strerror(errno));
  const std::string tag = r.ns + "-" + std::to_string(daemons_.size());  // unique in the run
  const std::string dir = lab_.dir() + "/frr-" + tag;
  if (::mkdir(dir.c_str(), 0750) != 0) return err("mkdir {}: {}", dir, std::strerror(errno));
  if (::chown(dir.c_str(), uid, gid) != 0)
    return err("chown {}: {}", dir, std::strerror(errno));

  // What FRR leaves to the operator: the macvlan with the virtual MAC in mode bridge (in
  // private mode the parent would not see the peer's adverts, which come from the same MAC),
  // holding the virtual address. IPv6 off on it: this instance is IPv4 only, and an up
  // macvlan would otherwise send DAD/router solicitations from the virtual MAC. Kept across a
  // restart of FRR on the same router. FRR leaves the address on the macvlan while backup
  // (protodown), so the parent needs arp_ignore=1, or it answers ARP for the virtual address
  // with its own MAC; arp_announce=2 keeps the virtual address out of its ARP requests.
  const std::string mv = kFrrMacvlan;
  if (auto s = lab_.must(
          r.ns, "echo 1 > /proc/sys/net/ipv4/conf/eth0/arp_ignore && "
                "echo 2 > /proc/sys/net/ipv4/conf/eth0/arp_announce && { "
                "ip link show " + mv + " >/dev/null 2>&1 || { ip link add " + mv +
                    " link eth0 type macvlan mode bridge && ip link set " + mv + " address " +
                    kVmac + " && echo 1 > /proc/sys/net/ipv6/conf/" + mv +
                    "/disable_ipv6 && ip addr add " + kVip + "/24 dev " + mv +
                    " && ip link set " + mv + " up; }; }");
      !s)
    return s.error();

  // "debug vrrp protocol" logs the state changes and election decisions (not every packet).
  const std::string conf = "debug vrrp protocol\n"
                           "interface eth0\n"
                           " vrrp 51 version 3\n"
                           " vrrp 51 priority " + std::to_string(priority) + "\n"
                           " vrrp 51 advertisement-interval " + std::to_string(interval_ms) + "\n"
                           " vrrp 51 ip " + kVip + "\n";
  if (auto s = write_file(dir + "/vrrpd.conf", conf, uid, gid); !s) return s.error();
  if (auto s = write_file(dir + "/zebra.conf", "", uid, gid); !s) return s.error();

  // Common options: everything in `dir` (nothing in /var/run/frr, nothing shared with another
  // run), no TCP vty (-P 0), logs on stdout into the run's log files.
  auto argv = [&](const char* prog, const std::string& name) {
    return std::vector<std::string>{prog, "-u", "frr", "-g", "frr",
                                    "-f", dir + "/" + name + ".conf",
                                    "-i", dir + "/" + name + ".pid",
                                    "-z", dir + "/zserv.api",
                                    "--vty_socket", dir, "-P", "0", "--log", "stdout"};
  };
  auto wait_for = [&](const std::string& path) {
    return eventually([&] { return ::access(path.c_str(), F_OK) == 0; },
                      std::chrono::seconds(10));
  };

  Daemon zebra;
  zebra.log = lab_.dir() + "/frr-zebra-" + tag + ".log";
  auto zpid = lab_.spawn(r.ns, argv(kFrrZebra, "zebra"), zebra.log);
  if (!zpid) return zpid.error();
  zebra.pid = *zpid;
  zebra.ns = r.ns;
  daemons_.push_back(zebra);
  if (!wait_for(dir + "/zserv.api"))
    return err("zebra on {} did not open {}/zserv.api: {}", r.ns, dir, read_text(zebra.log));

  Daemon d;
  d.log = lab_.dir() + "/frr-vrrpd-" + tag + ".log";
  d.zebra_pid = zebra.pid;
  d.vty_dir = dir;
  d.ns = r.ns;
  auto pid = lab_.spawn(r.ns, argv(kFrrVrrpd, "vrrpd"), d.log);
  if (!pid) return pid.error();
  d.pid = *pid;
  daemons_.push_back(d);
  if (!wait_for(dir + "/vrrpd.vty"))
    return err("vrrpd on {} did not open {}/vrrpd.vty: {}", r.ns, dir, read_text(d.log));
  return d;
}

nlohmann::json VrrpLab::frr_status(const Daemon& d) const {
  auto out = lab_.run(d.ns, std::string(kFrrVtysh) + " --vty_socket " + d.vty_dir +
                                " -d vrrpd -c 'show vrrp 51 json' 2>/dev/null");
  if (out.exit_code != 0) return nullptr;
  auto j = nlohmann::json::parse(out.output, nullptr, false);
  if (!j.is_array() || j.empty() || !j[0].is_object() || !j[0].contains("v4")) return nullptr;
  return j[0]["v4"];
}

std::string VrrpLab::frr_state(const Daemon& d) const {
  auto v4 = frr_status(d);
  if (!v4.is_object() || !v4.contains("status") || !v4["status"].is_string()) return "";
  std::string s = v4["status"].get<std::string>();
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool VrrpLab::frr_vmac_up(const Router& r) const {
  auto out = lab_.run(r.ns, std::string("ip -d link show ") + kFrrMacvlan);
  return out.exit_code == 0 && out.output.find("state UP") != std::string::npos &&
         out.output.find("protodown on") == std::string::npos;
}

Status VrrpLab::frr_configure(const Daemon& d, const std::string& command) const {
  return lab_.must(d.ns, std::string(kFrrVtysh) + " --vty_socket " + d.vty_dir +
                             " -d vrrpd -c 'configure terminal' -c 'interface eth0' -c 'vrrp 51 " +
                             command + "'");
}

Status VrrpLab::kill_frr(const Daemon& d) {
  if (auto s = lab_.signal(d.pid, SIGKILL); !s) return s;
  return lab_.signal(d.zebra_pid, SIGKILL);
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

bool VrrpLab::holds_vip6(const Router& r) const {
  return lab_.run(r.ns, std::string("ip -6 -o addr show | grep -q ' ") + kVip6 + "/'").exit_code ==
         0;
}

std::string VrrpLab::link_local(const Router& r) const {
  auto out = lab_.run(r.ns, "ip -6 -o addr show dev eth0 scope link");
  // "2: eth0    inet6 fe80::.../64 scope link ..."
  auto at = out.output.find("inet6 ");
  if (out.exit_code != 0 || at == std::string::npos) return "";
  at += 6;
  return out.output.substr(at, out.output.find('/', at) - at);
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
