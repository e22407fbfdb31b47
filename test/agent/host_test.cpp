#include "agent/host.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace baton::agent {
namespace {

namespace fs = std::filesystem;

struct HostTest : ::testing::Test {
  fs::path dir;
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "agent_host_XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { fs::remove_all(dir); }
  void put(const std::string& rel, const std::string& text) {
    fs::create_directories((dir / rel).parent_path());
    std::ofstream(dir / rel) << text;
  }
};

TEST_F(HostTest, ReadsTheInterfaceMac) {
  put("sys/class/net/eth1/address", "02:00:00:00:01:0a\n");
  auto mac = read_mac(dir.string(), "eth1");
  ASSERT_TRUE(mac.ok()) << mac.error().message;
  EXPECT_EQ(*mac, (std::array<std::uint8_t, 6>{2, 0, 0, 0, 1, 0x0a}));
  auto missing = read_mac(dir.string(), "eth9");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("interface eth9: "), std::string::npos);
  put("sys/class/net/eth2/address", "not a mac\n");
  EXPECT_FALSE(read_mac(dir.string(), "eth2").ok());
}

TEST_F(HostTest, SessionEpochGrowsAcrossRunsEvenWhenTheClockStepsBack) {
  std::string state = (dir / "state").string();
  auto first = next_session_epoch(state, 1000);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, 1000u);
  auto second = next_session_epoch(state, 500);  // the clock went back
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 1001u);
  auto third = next_session_epoch(state, 5000);
  EXPECT_EQ(*third, 5000u);
}

TEST_F(HostTest, CorruptEpochFileIsAnErrorNamingIt) {
  put("state/epoch", "garbage\n");
  auto e = next_session_epoch((dir / "state").string(), 1000);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("state/epoch: not an unsigned number"), std::string::npos)
      << e.error().message;
}

}  // namespace
}  // namespace baton::agent
