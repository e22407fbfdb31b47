#include "agent/load.hpp"

#include <cerrno>
#include <charconv>

#include "agent/admin_store.hpp"

namespace baton::agent {
namespace {

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Result<CpuTimes> parse_proc_stat(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  if (line.substr(0, 4) != "cpu ") return err("/proc/stat: the first line is not the \"cpu\" line");
  line.remove_prefix(4);
  std::uint64_t f[8] = {};  // user nice system idle iowait irq softirq steal
  std::size_t n = 0;
  while (n < 8) {
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty()) break;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), f[n]);
    if (ec != std::errc{} || (end != line.data() + line.size() && *end != ' '))
      return err("/proc/stat: field {} of the \"cpu\" line is not a number", n + 1);
    line.remove_prefix(static_cast<std::size_t>(end - line.data()));
    ++n;
  }
  if (n < 4) return err("/proc/stat: the \"cpu\" line has {} fields, at least 4 needed", n);
  CpuTimes t;
  t.busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
  t.total = t.busy + f[3] + f[4];
  return t;
}

std::uint16_t cpu_permille(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.busy < before.busy) return 0;
  std::uint64_t busy = after.busy - before.busy, total = after.total - before.total;
  std::uint64_t p = (busy * 1000 + total / 2) / total;
  return static_cast<std::uint16_t>(p > 1000 ? 1000 : p);
}

Result<std::uint64_t> parse_counter(std::string_view text) {
  std::string_view s = trim_right(text);
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
    return err("not an unsigned number: \"{}\"", s.substr(0, 32));
  return v;
}

std::uint64_t per_second(std::uint64_t before, std::uint64_t after, Duration elapsed) {
  if (after < before || elapsed <= Duration{0}) return 0;
  long double rate = static_cast<long double>(after - before) * 1e9L /
                     static_cast<long double>(elapsed.count());
  return static_cast<std::uint64_t>(rate);
}

LoadMeter::LoadMeter(std::string root, std::vector<std::string> interfaces)
    : root_(std::move(root)), interfaces_(std::move(interfaces)) {
  if (!root_.empty() && root_.back() == '/') root_.pop_back();
}

void LoadMeter::set_interfaces(std::vector<std::string> interfaces) {
  interfaces_ = std::move(interfaces);
  net_.reset();  // the old counters are not comparable
}

std::optional<std::uint64_t> LoadMeter::read_counter(const std::string& path) {
  auto text = read_small_file(root_ + path, 256);
  if (!text) {
    errors_.push_back(text.error().message);
    return std::nullopt;
  }
  auto v = parse_counter(*text);
  if (!v) {
    errors_.push_back(fmt::format("{}{}: {}", root_, path, v.error().message));
    return std::nullopt;
  }
  return *v;
}

control::Load LoadMeter::sample(TimePoint now) {
  errors_.clear();
  control::Load l;
  Duration elapsed = now - at_;

  std::optional<CpuTimes> cpu;
  if (auto text = read_small_file(root_ + "/proc/stat", 1 << 20); !text) {
    errors_.push_back(text.error().message);
  } else if (auto t = parse_proc_stat(*text); !t) {
    errors_.push_back(t.error().message);
  } else {
    cpu = *t;
  }
  if (cpu && cpu_) l.cpu_permille = cpu_permille(*cpu_, *cpu);
  cpu_ = cpu;

  std::optional<NetCounters> net = NetCounters{};
  for (const auto& ifname : interfaces_) {
    std::string base = "/sys/class/net/" + ifname + "/statistics/";
    auto p = read_counter(base + "rx_packets");
    auto b = read_counter(base + "rx_bytes");
    if (!p || !b) {
      net.reset();
      break;
    }
    net->packets += *p;
    net->bytes += *b;
  }
  if (net && net_) {
    l.packets_per_sec = per_second(net_->packets, net->packets, elapsed);
    l.bytes_per_sec = per_second(net_->bytes, net->bytes, elapsed);
  }
  net_ = net;

  auto count = read_small_file(root_ + "/proc/sys/net/netfilter/nf_conntrack_count", 256);
  if (count) {
    if (auto v = parse_counter(*count)) l.conntrack_count = *v;
    else errors_.push_back("nf_conntrack_count: " + v.error().message);
  } else if (errno != ENOENT) {
    errors_.push_back(count.error().message);
  }
  at_ = now;
  return l;
}

}  // namespace baton::agent
