// The example files in docs/operator-guide.md parse, and say the same as examples/.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/agent.hpp"
#include "config/orchestrator.hpp"

namespace baton::config {
namespace {

// The first ```yaml block after `heading` in the guide.
std::string guide_example(std::string_view heading) {
  std::ifstream f(BATON_DOCS_DIR "/operator-guide.md");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  auto h = text.find(heading);
  if (h == std::string::npos) return "";
  auto start = text.find("```yaml\n", h);
  if (start == std::string::npos) return "";
  start += 8;
  auto end = text.find("```", start);
  return end == std::string::npos ? "" : text.substr(start, end - start);
}

TEST(ConfigGuide, OrchestratorExampleMatchesTheExampleFile) {
  std::string yaml = guide_example("#### Example: `batond.yaml`");
  ASSERT_FALSE(yaml.empty());
  auto from_guide = parse_orchestrator_config(yaml, "operator-guide.md");
  ASSERT_TRUE(from_guide.ok()) << from_guide.error().message;
  auto from_file = load_orchestrator_config(BATON_EXAMPLES_DIR "/batond.yaml");
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  EXPECT_EQ(*from_guide, *from_file);
}

TEST(ConfigGuide, AgentExampleMatchesTheExampleFile) {
  std::string yaml = guide_example("#### Example: `baton-agent.yaml`");
  ASSERT_FALSE(yaml.empty());
  auto from_guide = parse_agent_config(yaml, "operator-guide.md");
  ASSERT_TRUE(from_guide.ok()) << from_guide.error().message;
  auto from_file = load_agent_config(BATON_EXAMPLES_DIR "/baton-agent.yaml");
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  EXPECT_EQ(*from_guide, *from_file);
}

}  // namespace
}  // namespace baton::config
