// The load an agent reports in its heartbeats (control::Load): CPU in permille of the whole
// machine over the last interval, packets/s and bytes/s received on the ext and int
// interfaces (each forwarded packet is received once, on one of them), and the conntrack
// table's entry count. The parsers take text so they are tested without /proc; LoadMeter
// reads the files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/messages.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace baton::agent {

struct CpuTimes {
  std::uint64_t busy = 0;   // user + nice + system + irq + softirq + steal (clock ticks)
  std::uint64_t total = 0;  // busy + idle + iowait
};

// The aggregate "cpu " line of /proc/stat.
Result<CpuTimes> parse_proc_stat(std::string_view text);
// Permille busy between two samples (0 if no time passed; clamped to 0..1000).
std::uint16_t cpu_permille(const CpuTimes& before, const CpuTimes& after);
// One unsigned decimal number, optionally followed by whitespace (sysfs counters,
// nf_conntrack_count).
Result<std::uint64_t> parse_counter(std::string_view text);
// (after - before) per second over `elapsed`; 0 if the counter went back (interface reset).
std::uint64_t per_second(std::uint64_t before, std::uint64_t after, Duration elapsed);

struct NetCounters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

// Reads the counters under `root` ("/" in production).
class LoadMeter {
 public:
  LoadMeter(std::string root, std::vector<std::string> interfaces);

  // Measures since the previous call (the first call reports zero rates). Errors reading a file
  // are kept in last_errors() and the affected figure is reported as 0.
  control::Load sample(TimePoint now);
  const std::vector<std::string>& last_errors() const { return errors_; }
  void set_interfaces(std::vector<std::string> interfaces);

 private:
  std::optional<std::uint64_t> read_counter(const std::string& path);
  std::string root_;
  std::vector<std::string> interfaces_;
  std::optional<CpuTimes> cpu_;
  std::optional<NetCounters> net_;
  TimePoint at_{};
  std::vector<std::string> errors_;
};

}  // namespace baton::agent
