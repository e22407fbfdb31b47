// Files that are not a config at all: empty, not YAML, several documents, too big, too deep,
// unreadable. Each is refused with the file named, and a position where there is one.
#include "config/document.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/agent.hpp"
#include "config/orchestrator.hpp"

namespace baton::config {
namespace {

std::string errors_of(std::string_view text) {
  auto r = parse_orchestrator_config(text, "t.yaml");
  return r.ok() ? "(accepted)" : r.error().message;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

TEST(ConfigDocument, EmptyFile) {
  EXPECT_EQ(errors_of(""), "t.yaml:1:1: the file is empty (no settings found)");
  EXPECT_EQ(errors_of("# nothing but a comment\n\n"),
            "t.yaml:1:1: the file is empty (no settings found)");
  auto a = parse_agent_config("", "agent.yaml");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "agent.yaml:1:1: the file is empty (no settings found)");
}

TEST(ConfigDocument, NotYaml) {
  EXPECT_EQ(errors_of("group: [sg1\n"),
            "t.yaml:2:1: not valid YAML: end of sequence flow not found");
  EXPECT_EQ(errors_of("group: sg1\n key_file: /x\n"),
            "t.yaml:2:10: not valid YAML: illegal map value");
  EXPECT_EQ(errors_of("group: 'unterminated"),
            "t.yaml:1:21: not valid YAML: illegal EOF in scalar");
  EXPECT_EQ(errors_of("group: sg1\n\tkey_file: /x\n"),
            "t.yaml:2:1: not valid YAML: illegal tab when looking for indentation");
}

TEST(ConfigDocument, NotAMapAtTheTop) {
  EXPECT_EQ(errors_of("- group: sg1\n"), "t.yaml:1:1: expected a map of settings, found a list");
  EXPECT_EQ(errors_of("just some text\n"),
            "t.yaml:1:1: expected a map of settings, found 'just some text'");
  std::string binary("\x01\x02\xff\xfe", 4);
  EXPECT_EQ(errors_of(binary),
            "t.yaml:1:1: expected a map of settings, found '\\x01\\x02\\xff\\xfe'");
}

TEST(ConfigDocument, OneDocumentOnly) {
  EXPECT_EQ(errors_of("group: a\n---\ngroup: b\n"),
            "t.yaml:2:1: a second YAML document ('---'); a config file holds exactly one");
}

TEST(ConfigDocument, EndlessEmptyDocumentsAreNotFollowed) {
  // yaml-cpp 0.7's LoadAll returns empty documents for ever on this input (found by fuzzing).
  std::string text(" ,gH:gsurosc0a\"\x94\x9e\n");
  EXPECT_EQ(errors_of(text), "t.yaml:1:1: the file is empty (no settings found)");
}

TEST(ConfigDocument, KeysAreNames) {
  std::string all = errors_of("? [a, b]\n: c\n");
  EXPECT_TRUE(starts_with(all, "t.yaml:1:3: keys must be plain names, found a list")) << all;
}

TEST(ConfigDocument, TooLarge) {
  std::string big = "group: sg1\n# " + std::string(kMaxFileBytes, 'x') + "\n";
  EXPECT_EQ(errors_of(big), "t.yaml: file is larger than 1024 KiB; this is not a baton config");
}

TEST(ConfigDocument, TooDeep) {
  std::string flow = "group: " + std::string(100, '[') + std::string(100, ']') + "\n";
  EXPECT_EQ(errors_of(flow), "t.yaml:1:72: brackets nested deeper than 64 levels; refused");
  std::string block = "group:\n";
  for (int i = 0; i < 200; ++i) block += "- ";
  block += "x\n";
  EXPECT_EQ(errors_of(block), "t.yaml:2:401: nested or indented deeper than 256 columns; refused");
  // Brackets in quotes and comments do not count.
  Diagnostics d("q.yaml");
  EXPECT_TRUE(check_nesting("a: '" + std::string(100, '[') + "' # " + std::string(100, '{'), d));
  EXPECT_TRUE(d.empty());
}

TEST(ConfigDocument, UnreadableFiles) {
  auto r = load_orchestrator_config("/nonexistent/batond.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "/nonexistent/batond.yaml: cannot read: No such file or directory");
  auto d = load_agent_config("/");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "/: cannot read: Is a directory");
}

TEST(ConfigDocument, PermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
  auto path = std::filesystem::temp_directory_path() / "baton_config_noperm.yaml";
  { std::ofstream(path) << "group: sg1\n"; }
  ::chmod(path.c_str(), 0);
  auto r = load_orchestrator_config(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, path.string() + ": cannot read: Permission denied");
}

TEST(ConfigDocument, FileTooLargeIsNotReadToTheEnd) {
  auto path = std::filesystem::temp_directory_path() / "baton_config_big.yaml";
  { std::ofstream(path) << std::string(kMaxFileBytes + 10, '#'); }
  auto r = read_config_file(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            path.string() + ": file is larger than 1024 KiB; this is not a baton config");
}

TEST(ConfigDocument, MessagesNameTheFileAsGiven) {
  auto path = std::filesystem::temp_directory_path() / "baton_config_named.yaml";
  { std::ofstream(path) << "group: sg1\ncolour: blue\n"; }
  auto r = load_orchestrator_config(path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(starts_with(r.error().message, path.string() + ":2:1: colour: unknown key"))
      << r.error().message;
}

}  // namespace
}  // namespace baton::config
