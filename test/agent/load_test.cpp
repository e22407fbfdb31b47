#include "agent/load.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace baton::agent {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(LoadParsers, ProcStatCpuLine) {
  auto t = parse_proc_stat("cpu  100 20 30 800 50 5 5 10 0 0\ncpu0 1 2 3 4\nintr 5\n");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->busy, 100u + 20 + 30 + 5 + 5 + 10);
  EXPECT_EQ(t->total, t->busy + 800 + 50);
  auto old = parse_proc_stat("cpu 10 0 10 80\n");  // four fields: old kernels
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->total, 100u);
}

TEST(LoadParsers, ProcStatErrors) {
  EXPECT_FALSE(parse_proc_stat("").ok());
  EXPECT_FALSE(parse_proc_stat("cpu0 1 2 3 4\n").ok());
  EXPECT_EQ(parse_proc_stat("cpu  1 2 x 4\n").error().message,
            "/proc/stat: field 3 of the \"cpu\" line is not a number");
  EXPECT_EQ(parse_proc_stat("cpu  1 2\n").error().message,
            "/proc/stat: the \"cpu\" line has 2 fields, at least 4 needed");
}

TEST(LoadParsers, CpuPermille) {
  EXPECT_EQ(cpu_permille({100, 1000}, {350, 2000}), 250);
  EXPECT_EQ(cpu_permille({100, 1000}, {100, 1000}), 0);  // no time passed
  EXPECT_EQ(cpu_permille({500, 1000}, {100, 2000}), 0);  // went back
  EXPECT_EQ(cpu_permille({0, 0}, {10, 10}), 1000);
}

TEST(LoadParsers, Counter) {
  EXPECT_EQ(*parse_counter("12345\n"), 12345u);
  EXPECT_EQ(*parse_counter("0"), 0u);
  EXPECT_FALSE(parse_counter("").ok());
  EXPECT_FALSE(parse_counter("-1\n").ok());
  EXPECT_FALSE(parse_counter("12 34\n").ok());
  EXPECT_FALSE(parse_counter("99999999999999999999999\n").ok());
}

TEST(LoadParsers, PerSecond) {
  EXPECT_EQ(per_second(1000, 3000, 2s), 1000u);
  EXPECT_EQ(per_second(0, 5, 10ms), 500u);
  EXPECT_EQ(per_second(3000, 1000, 1s), 0u);  // counter reset
  EXPECT_EQ(per_second(0, 5, 0s), 0u);
}

struct FakeRoot {
  fs::path root;
  FakeRoot() {
    std::string tmpl = (fs::temp_directory_path() / "agent_load_XXXXXX").string();
    root = ::mkdtemp(tmpl.data());
  }
  ~FakeRoot() { fs::remove_all(root); }
  void put(const std::string& rel, const std::string& text) {
    fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  void counters(const std::string& ifname, std::uint64_t packets, std::uint64_t bytes) {
    put("sys/class/net/" + ifname + "/statistics/rx_packets", std::to_string(packets) + "\n");
    put("sys/class/net/" + ifname + "/statistics/rx_bytes", std::to_string(bytes) + "\n");
  }
};

TEST(LoadMeter, MeasuresRatesOverTheInterval) {
  FakeRoot fake;
  fake.put("proc/stat", "cpu  100 0 0 900 0 0 0 0\n");
  fake.counters("eth1", 1000, 100000);
  fake.counters("eth2", 0, 0);
  LoadMeter m(fake.root.string(), {"eth1", "eth2"});
  TimePoint t0{};
  auto first = m.sample(t0);
  EXPECT_EQ(first, (control::Load{0, 0, 0, 0}));  // no conntrack file: 0, no error
  EXPECT_TRUE(m.last_errors().empty());
  fake.put("proc/stat", "cpu  400 0 0 1600 0 0 0 0\n");
  fake.counters("eth1", 3000, 300000);
  fake.counters("eth2", 1000, 100000);
  fake.put("proc/sys/net/netfilter/nf_conntrack_count", "77\n");
  auto l = m.sample(t0 + 2s);
  EXPECT_EQ(l, (control::Load{300, 1500, 150000, 77}));
  EXPECT_TRUE(m.last_errors().empty());
}

TEST(LoadMeter, MissingInterfaceIsReportedAndCountsZero) {
  FakeRoot fake;
  fake.put("proc/stat", "cpu  100 0 0 900 0 0 0 0\n");
  LoadMeter m(fake.root.string(), {"nosuch0"});
  auto l = m.sample(TimePoint{});
  EXPECT_EQ(l.packets_per_sec, 0u);
  ASSERT_FALSE(m.last_errors().empty());
  EXPECT_NE(m.last_errors()[0].find("nosuch0/statistics/rx_packets"), std::string::npos);
}

}  // namespace
}  // namespace baton::agent
