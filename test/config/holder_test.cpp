// ConfigHolder: a good reload swaps, a bad one keeps the last good configuration and says why.
#include "config/holder.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace baton::config {
namespace {

class ConfigReload : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("baton_holder_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml");
  }
  void TearDown() override { std::filesystem::remove(path_); }

  void write(std::string_view text) { std::ofstream(path_, std::ios::trunc) << text; }
  std::string good(int weight) const {
    return fmt::format(R"(member: gw1
orchestrators: [{{address: 10.1.0.2}}]
interfaces: {{ext: eth1, int: eth2}}
key_file: /etc/baton/key
log_level: {}
)",
                       weight == 1 ? "info" : "debug");
  }

  std::filesystem::path path_;
};

TEST_F(ConfigReload, OpenRefusesABadFile) {
  write("member: gw1\n");
  auto h = open_agent_config(path_.string());
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find(path_.string() + ":1:1: orchestrators: required, but missing"),
            std::string::npos)
      << h.error().message;
}

TEST_F(ConfigReload, GoodReloadSwaps) {
  write(good(1));
  auto h = open_agent_config(path_.string());
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->generation(), 1u);
  EXPECT_EQ(h->current().log_level, spdlog::level::info);
  write(good(2));
  auto s = h->reload();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(h->current().log_level, spdlog::level::debug);
  EXPECT_EQ(h->generation(), 2u);
}

TEST_F(ConfigReload, UnchangedReloadKeepsTheGeneration) {
  write(good(1));
  auto h = open_agent_config(path_.string());
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(h->reload().ok());
  EXPECT_EQ(h->generation(), 1u);
}

TEST_F(ConfigReload, BadReloadKeepsTheLastGoodOne) {
  write(good(1));
  auto h = open_agent_config(path_.string());
  ASSERT_TRUE(h.ok());
  auto before = h->snapshot();
  write(
      "member: gw1\norchestrators: [{address: 10.1.0.2}]\ninterfaces: {ext: eth1, int: eth2}\n"
      "key_file: /etc/baton/key\nlog_level: loud\n");
  auto s = h->reload();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find(path_.string() + ":5:12: log_level: unknown log level 'loud'"),
            std::string::npos)
      << s.error().message;
  EXPECT_EQ(h->generation(), 1u);
  EXPECT_EQ(h->snapshot(), before);  // the very same object
  EXPECT_EQ(h->current().log_level, spdlog::level::info);
}

TEST_F(ConfigReload, VanishedFileKeepsTheLastGoodOne) {
  write(good(1));
  auto h = open_agent_config(path_.string());
  ASSERT_TRUE(h.ok());
  std::filesystem::remove(path_);
  auto s = h->reload();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, path_.string() + ": cannot read: No such file or directory");
  EXPECT_EQ(h->current().member, "gw1");
}

TEST_F(ConfigReload, SnapshotOutlivesAReload) {
  write(good(1));
  auto h = open_agent_config(path_.string());
  ASSERT_TRUE(h.ok());
  auto old = h->snapshot();
  write(good(2));
  ASSERT_TRUE(h->reload().ok());
  EXPECT_EQ(old->log_level, spdlog::level::info);
  EXPECT_EQ(h->current().log_level, spdlog::level::debug);
}

TEST_F(ConfigReload, OrchestratorHolderFromTheExample) {
  auto h = open_orchestrator_config(BATON_EXAMPLES_DIR "/batond.yaml");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->current().group, "sg1");
  auto bad = parse_orchestrator_config("group: [", "x.yaml");
  EXPECT_FALSE(h->offer(std::move(bad)).ok());
  EXPECT_EQ(h->current().group, "sg1");
  auto changed = h->current();
  changed.log_level = spdlog::level::warn;
  EXPECT_TRUE(h->offer(changed).ok());
  EXPECT_EQ(h->generation(), 2u);
  EXPECT_EQ(h->current().log_level, spdlog::level::warn);
}

}  // namespace
}  // namespace baton::config
