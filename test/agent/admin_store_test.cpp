#include "agent/admin_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace baton::agent {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "agent_store_XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
  std::string str() const { return path.string(); }
};

const AdminRecord kDown{{control::Admin::down, true, "alice", "disk swap \"bay 3\""}, 1764115200000};

TEST(AdminStore, RoundTripAndClear) {
  TempDir dir;
  EXPECT_FALSE(load_admin_state(dir.str()).record);  // nothing stored: up
  EXPECT_FALSE(load_admin_state(dir.str()).error);
  ASSERT_TRUE(save_admin_state(dir.str(), kDown).ok());
  auto loaded = load_admin_state(dir.str());
  EXPECT_FALSE(loaded.error);
  ASSERT_TRUE(loaded.record);
  EXPECT_EQ(*loaded.record, kDown);
  EXPECT_FALSE(fs::exists(dir.path / "admin.json.tmp"));
  ASSERT_TRUE(clear_admin_state(dir.str()).ok());
  EXPECT_FALSE(load_admin_state(dir.str()).record);
  EXPECT_TRUE(clear_admin_state(dir.str()).ok());  // already gone: fine
}

TEST(AdminStore, CreatesAMissingStateDirRootOnly) {
  TempDir dir;
  std::string sub = (dir.path / "state").string();
  ASSERT_TRUE(save_admin_state(sub, kDown).ok());
  struct stat st{};
  ASSERT_EQ(::stat(sub.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((sub + "/admin.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AdminStore, CorruptFileIsAnErrorNamingTheFileAndReadsAsUp) {
  TempDir dir;
  std::ofstream(dir.path / "admin.json") << "{\"version\":1,\"state\":\"dow";
  auto loaded = load_admin_state(dir.str());
  EXPECT_FALSE(loaded.record);
  ASSERT_TRUE(loaded.error);
  EXPECT_NE(loaded.error->find("admin.json: not valid JSON"), std::string::npos) << *loaded.error;
}

TEST(AdminStore, ParserNamesTheWrongField) {
  auto bad = [](std::string_view text) {
    auto r = parse_admin_json(text);
    return r ? std::string("accepted") : r.error().message;
  };
  EXPECT_EQ(bad("[1]"), "not a JSON object");
  EXPECT_EQ(bad(R"({"version":2,"state":"down","persistent":true})"), "\"version\" must be 1");
  EXPECT_EQ(bad(R"({"version":1,"state":"sideways","persistent":true})"),
            "\"state\" must be \"up\" or \"down\", not \"sideways\"");
  EXPECT_EQ(bad(R"({"version":1,"state":"down","persistent":"yes"})"),
            "\"persistent\" must be true or false");
  EXPECT_EQ(bad(R"({"version":1,"state":"down","persistent":false})"),
            "\"state\" is \"down\" but \"persistent\" is false");
  EXPECT_EQ(bad(R"({"version":1,"state":"down","persistent":true,"who":7})"),
            "\"who\" must be a string");
  EXPECT_EQ(bad(R"({"version":1,"state":"down","persistent":true,"since_ms":1.5})"),
            "\"since_ms\" must be an integer (ms since 1970)");
  std::string long_who = R"({"version":1,"state":"down","persistent":true,"who":")" +
                         std::string(65, 'x') + "\"}";
  EXPECT_EQ(bad(long_who), "\"who\" is longer than 64 bytes");
}

TEST(AdminStore, UpFileMeansNothingInForce) {
  auto r = parse_admin_json(R"({"version":1,"state":"up","persistent":false})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST(AdminStore, WriteFileAtomicReportsTheFailingPath) {
  auto s = write_file_atomic("/nonexistent-dir/x/admin.json", "{}");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("/nonexistent-dir/x/admin.json.tmp: open:"), std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace baton::agent
