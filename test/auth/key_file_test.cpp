#include "auth/key_file.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace baton::auth {
namespace {

namespace fs = std::filesystem;

const std::string kHex64 = "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\n";

class AuthKeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "baton-key-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& contents, mode_t mode) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << contents;
    EXPECT_EQ(::chmod(p.c_str(), mode), 0);
    return p;
  }

  // Files in these tests are owned by whoever runs them.
  static KeyFileRules mine() { return KeyFileRules{::getuid()}; }

  static void expect_error(const std::string& path, KeyFileRules rules, std::string_view needle) {
    auto k = load_key_file(path, rules);
    ASSERT_FALSE(k.ok()) << path << " accepted, expected: " << needle;
    EXPECT_NE(k.error().message.find("key file " + path + ": "), std::string::npos)
        << k.error().message;
    EXPECT_NE(k.error().message.find(needle), std::string::npos) << k.error().message;
  }

  fs::path dir_;
};

TEST_F(AuthKeyFile, AcceptsOwnerOnlyModes) {
  for (mode_t mode : {0600, 0400}) {
    auto p = write("k" + std::to_string(mode), kHex64, mode);
    auto k = load_key_file(p, mine());
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(k->size(), 32u);
    EXPECT_EQ(k->bytes()[0], 0x8f);
  }
}

TEST_F(AuthKeyFile, AcceptsRawKey) {
  auto p = write("raw", std::string(48, 'k'), 0600);
  auto k = load_key_file(p, mine());
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->size(), 48u);
}

TEST_F(AuthKeyFile, Missing) {
  expect_error((dir_ / "nope").string(), mine(), "missing");
}

TEST_F(AuthKeyFile, GroupOrOtherAccessRejected) {
  for (mode_t mode : {0644, 0640, 0604, 0620, 0602, 0610, 0601, 0660}) {
    auto p = write("m" + std::to_string(mode), kHex64, mode);
    expect_error(p, mine(), fmt::format("wrong mode: {:04o} gives group/other access", mode));
  }
}

TEST_F(AuthKeyFile, TooShort) {
  auto p = write("short", kHex64.substr(0, 40), 0600);
  expect_error(p, mine(), "too short: 20 bytes of key material (hex)");
}

TEST_F(AuthKeyFile, TooLong) {
  auto p = write("long", std::string(kMaxKeyFileBytes + 1, 'k'), 0600);
  expect_error(p, mine(), "too long: 4097 bytes");
}

TEST_F(AuthKeyFile, Empty) {
  auto p = write("empty", "", 0600);
  expect_error(p, mine(), "empty");
}

TEST_F(AuthKeyFile, SymlinkRefused) {
  auto target = write("target", kHex64, 0600);
  auto link = (dir_ / "link").string();
  fs::create_symlink(target, link);
  expect_error(link, mine(), "symbolic link");
}

TEST_F(AuthKeyFile, DirectoryRefused) {
  auto d = dir_ / "sub";
  fs::create_directory(d);
  ::chmod(d.c_str(), 0700);
  expect_error(d.string(), mine(), "not a regular file");
}

TEST_F(AuthKeyFile, OwnerMustMatchTheRules) {
  auto p = write("owned", kHex64, 0600);
  KeyFileRules other{::getuid() + 1};
  expect_error(p, other, fmt::format("wrong owner: owned by uid {}, must be owned by uid {}",
                                     ::getuid(), ::getuid() + 1));
}

// The production rule: root must own the file. Needs root to hand a file to someone else.
TEST_F(AuthKeyFile, NotOwnedByRootRejected) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a file to another user";
  auto p = write("nobody", kHex64, 0600);
  ASSERT_EQ(::chown(p.c_str(), 65534, 65534), 0);
  expect_error(p, KeyFileRules{}, "wrong owner: owned by uid 65534, must be owned by uid 0 (root)");
  ASSERT_EQ(::chown(p.c_str(), 0, 0), 0);
  EXPECT_TRUE(load_key_file(p).ok());
}

}  // namespace
}  // namespace baton::auth
