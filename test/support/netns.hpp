// A small RAII harness for tests and benchmarks that build network namespaces.
//
// One Lab is one run: every namespace it creates is named "<prefix>-<name>", where the prefix
// is unique to the run ("bt" + 6 hex digits), so concurrent runs never collide and a leftover
// is recognisable. The destructor kills every process the Lab started and deletes every
// namespace (which removes the interfaces inside it), also when the test failed half-way.
//
// Commands run inside a namespace through `ip netns exec`; code runs inside one on a thread of
// its own with setns(2) (in_netns), so sockets can be opened there from the test process.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace baton::testing {

// Why this process cannot build namespaces (not root, `ip` missing), or nullopt if it can.
std::optional<std::string> netns_unavailable();
// Whether an executable exists at `path` (for skipping tests whose tool is not installed).
bool have_program(const std::string& path);

struct CommandResult {
  int exit_code = -1;   // -1 if the command did not exit normally
  std::string output;   // stdout and stderr together
};

class Lab {
 public:
  // Creates the run's prefix and its scratch directory. Nothing else is created yet.
  static Result<Lab> create();
  Lab(Lab&& other) noexcept;
  Lab& operator=(Lab&&) = delete;
  Lab(const Lab&) = delete;
  ~Lab();

  const std::string& prefix() const { return prefix_; }
  // Full namespace name for a short one: ns("a") == "<prefix>-a".
  std::string ns(std::string_view short_name) const;
  // Scratch directory for config files and logs, removed with the Lab.
  const std::string& dir() const { return dir_; }

  // Creates namespace ns(name) with its loopback up.
  Status add_netns(std::string_view name);
  // Creates a veth pair: `if_a` in namespace a, `if_b` in namespace b, both up.
  Status add_veth(std::string_view ns_a, std::string_view if_a, std::string_view ns_b,
                  std::string_view if_b);
  // Creates bridge `br` in namespace `name` (up, no STP, forwarding delay 0).
  Status add_bridge(std::string_view name, std::string_view br);
  // Enslaves interface `ifname` to bridge `br`, both in namespace `name`.
  Status attach(std::string_view name, std::string_view ifname, std::string_view br);

  // Runs `sh -c command` inside namespace `name` and waits for it.
  CommandResult run(std::string_view name, const std::string& command) const;
  // Like run(), but a non-zero exit is an error carrying the command and its output.
  Status must(std::string_view name, const std::string& command) const;

  // Starts argv inside namespace `name` in the background, stdout+stderr to `log_path`.
  // Returns the process id (the program itself: `ip netns exec` execs it).
  Result<pid_t> spawn(std::string_view name, const std::vector<std::string>& argv,
                      const std::string& log_path);
  // Sends `sig` to a process started by spawn(); kill(pid, SIGKILL) also reaps it.
  Status signal(pid_t pid, int sig);
  // Waits up to `timeout_ms` for a spawned process to exit; returns its wait status.
  std::optional<int> wait_exit(pid_t pid, int timeout_ms);

  // Runs `fn` on a new thread that has entered namespace `name` and joins it.
  Status in_netns(std::string_view name, const std::function<void()>& fn) const;

 private:
  Lab(std::string prefix, std::string dir) : prefix_(std::move(prefix)), dir_(std::move(dir)) {}
  void teardown();

  std::string prefix_;
  std::string dir_;
  std::vector<std::string> namespaces_;
  std::vector<pid_t> children_;
  bool moved_ = false;
};

// Enters namespace `full_name` on the calling thread only (setns). For threads of one's own.
Status enter_netns(const std::string& full_name);

// Reads a whole file; empty if it cannot be read (for showing daemon logs in failures).
std::string read_text(const std::string& path);

}  // namespace baton::testing
