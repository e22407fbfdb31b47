// The agent config: the example file, defaults and its errors.
#include "config/agent.hpp"

#include <gtest/gtest.h>

namespace baton::config {
namespace {

// Line numbers below refer to this text.
constexpr std::string_view kBase = R"(member: gw1
orchestrators:
  - address: 10.1.0.2
  - address: 10.1.0.3
    port: 7800
interfaces:
  ext: eth1
  int: eth2
key_file: /etc/baton/key
)";

std::string edit(std::string_view from, std::string_view to) {
  std::string s(kBase);
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in the base text";
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

std::string errors_of(std::string_view text) {
  auto r = parse_agent_config(text, "a.yaml");
  return r.ok() ? "(accepted)" : r.error().message;
}

TEST(ConfigAgent, ExampleFileParses) {
  auto r = load_agent_config(BATON_EXAMPLES_DIR "/baton-agent.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->member, "gw1");
  ASSERT_EQ(r->orchestrators.size(), 2u);
  EXPECT_EQ(r->orchestrators[0].to_string(), "10.1.0.2:7700");
  EXPECT_EQ(r->orchestrators[1].to_string(), "10.1.0.3:7700");
  EXPECT_EQ(r->interface_ext, "eth1");
  EXPECT_EQ(r->interface_int, "eth2");
  EXPECT_EQ(r->key_file, "/etc/baton/group.key");
  EXPECT_EQ(r->state_dir, "/var/lib/baton-agent");
  EXPECT_EQ(r->socket, "/run/baton/agent.sock");
  ASSERT_TRUE(r->sync.has_value());
  EXPECT_EQ(r->sync->interface, "eth3");
  EXPECT_EQ(r->sync->address.to_string(), "10.3.0.11");
  EXPECT_EQ(r->sync->port, 7702);
  EXPECT_EQ(r->log_level, spdlog::level::info);
}

TEST(ConfigAgent, DefaultsApplied) {
  auto r = parse_agent_config(kBase, "a.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->orchestrators[0].port, kDefaultControlPort);
  EXPECT_EQ(r->orchestrators[1].port, 7800);
  EXPECT_EQ(r->state_dir, "/var/lib/baton-agent");
  EXPECT_EQ(r->socket, "/run/baton/agent.sock");
  EXPECT_FALSE(r->sync.has_value());
  EXPECT_EQ(r->log_level, spdlog::level::info);
  auto s = parse_agent_config(std::string(kBase) +
                                  "sync: {interface: eth3, address: 'fd00::11'}\n"
                                  "log_level: debug\n",
                              "a.yaml");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_TRUE(s->sync.has_value());
  EXPECT_EQ(s->sync->port, kDefaultSyncPort);
  EXPECT_EQ(s->log_level, spdlog::level::debug);
}

TEST(ConfigAgent, Errors) {
  EXPECT_EQ(errors_of(edit("member: gw1\n", "")), "a.yaml:1:1: member: required, but missing");
  EXPECT_EQ(
      errors_of(edit("  int: eth2\n", "  int: eth1\n")),
      "a.yaml:8:8: interfaces.int: 'eth1' is also the ext interface; the sides need their own");
  EXPECT_EQ(
      errors_of(edit("  - address: 10.1.0.3\n    port: 7800\n", "  - address: 10.1.0.2\n")),
      "a.yaml:4:14: orchestrators[1].address: 10.1.0.2:7700 is already given at orchestrators[0]");
  EXPECT_EQ(errors_of(edit("    port: 7800\n", "    port: 7800\n  - address: 10.1.0.4\n")),
            "a.yaml:3:3: orchestrators: lists one or two orchestrators, found 3");
  EXPECT_EQ(errors_of(edit("  - address: 10.1.0.2\n", "  - address: 0.0.0.0\n")),
            "a.yaml:3:14: orchestrators[0].address: 0.0.0.0 is not a unicast address");
  EXPECT_EQ(
      errors_of(edit("key_file: /etc/baton/key\n", "key_file: /etc/baton/key\nstate_dir: state\n")),
      "a.yaml:10:12: state_dir: 'state' is not an absolute path");
  EXPECT_EQ(errors_of(std::string(kBase) + "socket: agent.sock\n"),
            "a.yaml:10:9: socket: 'agent.sock' is not an absolute path");
  EXPECT_EQ(errors_of(std::string(kBase) + "sync: {interface: eth3}\n"),
            "a.yaml:10:7: sync.address: required, but missing");
  EXPECT_EQ(errors_of(std::string(kBase) + "orchestrator: x\n"),
            "a.yaml:10:1: orchestrator: unknown key (did you mean 'orchestrators'?)");
  EXPECT_EQ(
      errors_of(edit("interfaces:\n  ext: eth1\n  int: eth2\n", "interfaces: [eth1, eth2]\n")),
      "a.yaml:6:13: interfaces: expected a map of settings, found a list");
}

TEST(ConfigAgent, AllErrorsCollected) {
  std::string text = edit("member: gw1\n", "member: 'gw 1'\n");
  text = text.replace(text.find("port: 7800"), 10, "port: 0");
  text += "log_level: chatty\n";
  std::string all = errors_of(text);
  EXPECT_EQ(all,
            "a.yaml:1:9: member: 'gw 1': a name may hold only letters, digits, '.', '_' and '-'\n"
            "a.yaml:5:11: orchestrators[1].port: 0 is out of range 1..65535\n"
            "a.yaml:10:12: log_level: unknown log level 'chatty' (expected trace, debug, info, "
            "warn, error or off)");
}

}  // namespace
}  // namespace baton::config
