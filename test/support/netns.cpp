#include "netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace baton::testing {
namespace {

std::string quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

CommandResult run_host(const std::string& command) {
  CommandResult r;
  std::string full = "(" + command + ") 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) {
    r.output = std::string("popen failed: ") + std::strerror(errno);
    return r;
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

Status check(const CommandResult& r, const std::string& what) {
  if (r.exit_code == 0) return {};
  return err("`{}` failed (exit {}): {}", what, r.exit_code, r.output);
}

}  // namespace

std::optional<std::string> netns_unavailable() {
  if (::geteuid() != 0) return "needs root (network namespaces); run the privileged tests as root";
  if (!have_program("/usr/sbin/ip") && !have_program("/usr/bin/ip") && !have_program("/sbin/ip"))
    return "needs iproute2 (`ip`)";
  if (::access("/proc/self/ns/net", R_OK) != 0) return "kernel without network namespaces";
  return std::nullopt;
}

bool have_program(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

Result<Lab> Lab::create() {
  std::random_device rd;
  unsigned v = rd() & 0xffffffu;
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "bt%06x", v);
  std::string dir = std::string("/tmp/") + prefix;
  if (::mkdir(dir.c_str(), 0700) != 0)
    return err("cannot create scratch directory {}: {}", dir, std::strerror(errno));
  return Lab(prefix, dir);
}

Lab::Lab(Lab&& other) noexcept
    : prefix_(std::move(other.prefix_)),
      dir_(std::move(other.dir_)),
      namespaces_(std::move(other.namespaces_)),
      children_(std::move(other.children_)) {
  other.moved_ = true;
}

Lab::~Lab() {
  if (!moved_) teardown();
}

void Lab::teardown() {
  for (pid_t pid : children_) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  children_.clear();
  // Anything else still running in our namespaces (daemons that forked) goes too.
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
    (void)run_host("for p in $(ip netns pids " + quote(*it) + "); do kill -9 $p; done");
    (void)run_host("ip netns del " + quote(*it));
  }
  namespaces_.clear();
  if (std::getenv("BATON_KEEP_LAB") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string Lab::ns(std::string_view short_name) const {
  return prefix_ + "-" + std::string(short_name);
}

Status Lab::add_netns(std::string_view name) {
  std::string full = ns(name);
  auto r = run_host("ip netns add " + quote(full));
  if (auto s = check(r, "ip netns add " + full); !s) return s;
  namespaces_.push_back(full);
  return must(name, "ip link set lo up");
}

Status Lab::add_veth(std::string_view ns_a, std::string_view if_a, std::string_view ns_b,
                     std::string_view if_b) {
  std::string cmd = "ip link add " + quote(if_a) + " netns " + quote(ns(ns_a)) +
                    " type veth peer name " + quote(if_b) + " netns " + quote(ns(ns_b));
  if (auto s = check(run_host(cmd), cmd); !s) return s;
  if (auto s = must(ns_a, "ip link set " + quote(if_a) + " up"); !s) return s;
  return must(ns_b, "ip link set " + quote(if_b) + " up");
}

Status Lab::add_bridge(std::string_view name, std::string_view br) {
  return must(name, "ip link add " + quote(br) +
                        " type bridge stp_state 0 forward_delay 0 && ip link set " + quote(br) +
                        " up");
}

Status Lab::attach(std::string_view name, std::string_view ifname, std::string_view br) {
  return must(name, "ip link set " + quote(ifname) + " master " + quote(br));
}

CommandResult Lab::run(std::string_view name, const std::string& command) const {
  return run_host("ip netns exec " + quote(ns(name)) + " sh -c " + quote(command));
}

Status Lab::must(std::string_view name, const std::string& command) const {
  return check(run(name, command), "[" + std::string(name) + "] " + command);
}

Result<pid_t> Lab::spawn(std::string_view name, const std::vector<std::string>& argv,
                         const std::string& log_path) {
  std::vector<std::string> args = {"ip", "netns", "exec", ns(name)};
  args.insert(args.end(), argv.begin(), argv.end());
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return err("cannot open log {}: {}", log_path, std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    return err("fork: {}", std::strerror(errno));
  }
  if (pid == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::setpgid(0, 0);
    ::execvp(cargs[0], cargs.data());
    std::fprintf(stderr, "exec ip netns exec failed: %s\n", std::strerror(errno));
    ::_exit(127);
  }
  ::close(fd);
  children_.push_back(pid);
  return pid;
}

Status Lab::signal(pid_t pid, int sig) {
  if (::kill(pid, sig) != 0) return err("kill({}, {}): {}", pid, sig, std::strerror(errno));
  if (sig == SIGKILL) {
    ::waitpid(pid, nullptr, 0);
    std::erase(children_, pid);
  }
  return {};
}

std::optional<int> Lab::wait_exit(pid_t pid, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      std::erase(children_, pid);
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

Status enter_netns(const std::string& full_name) {
  std::string path = "/run/netns/" + full_name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return err("open {}: {}", path, std::strerror(errno));
  int rc = ::setns(fd, CLONE_NEWNET);
  int saved = errno;
  ::close(fd);
  if (rc != 0) return err("setns {}: {}", path, std::strerror(saved));
  return {};
}

Status Lab::in_netns(std::string_view name, const std::function<void()>& fn) const {
  Status result;
  std::string full = ns(name);
  std::thread t([&] {
    if (auto s = enter_netns(full); !s) {
      result = s;
      return;
    }
    fn();
  });
  t.join();
  return result;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace baton::testing
