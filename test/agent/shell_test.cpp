// baton-agent's shell end to end, in this process: a fake orchestrator (control::Sender and
// Receiver on a UDP socket on 127.0.0.1) registers the agent, receives its heartbeats, sends
// it a command; clusterXL_admin (the real binary) talks to the agent's API socket; a
// persistent down survives an agent restart. The host's /proc and /sys are a fake tree.
#include "agent/shell.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "control/codec.hpp"

namespace baton::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::uint32_t kOrchId = 1;
constexpr std::uint64_t kOrchEpoch = 77;
const std::string kKeyHex(64, 'a');

auth::Key master() {
  return *auth::parse_key(std::span(reinterpret_cast<const std::uint8_t*>(kKeyHex.data()), kKeyHex.size()));
}

// The orchestrator side: a bound UDP socket with the channel's sender and receiver.
struct FakeOrchestrator {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::uint16_t port = 0;
  control::Sender tx{control::control_key(master()), kOrchId, kOrchEpoch};
  control::Receiver rx{control::control_key(master()), {kOrchId, kOrchEpoch}};
  sockaddr_in agent{};
  FakeOrchestrator() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~FakeOrchestrator() { ::close(fd); }
  // The next accepted message within `timeout`.
  std::optional<control::Message> next(std::chrono::milliseconds timeout = 3000ms) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      std::uint8_t buf[65536];
      socklen_t len = sizeof agent;
      ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&agent), &len);
      if (n <= 0) continue;
      auto r = rx.receive(std::span(buf, static_cast<std::size_t>(n)));
      if (r.message) return r.message;
    }
    return std::nullopt;
  }
  template <typename T>
  std::optional<control::Message> next_of(std::chrono::milliseconds timeout = 3000ms) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until)
      if (auto m = next(timeout); m && std::holds_alternative<T>(m->body)) return m;
    return std::nullopt;
  }
  void send(const control::Header& to, control::Body body) {
    auto bytes = tx.seal(to.sender_id, to.sender_epoch, body);
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    ::sendto(fd, bytes->data(), bytes->size(), 0, reinterpret_cast<sockaddr*>(&agent), sizeof agent);
  }
};

struct AgentShellTest : ::testing::Test {
  fs::path dir;
  FakeOrchestrator orch;
  std::unique_ptr<Shell> shell;
  std::thread runner;

  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "agent_shell_XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
    put("root/proc/stat", "cpu  100 0 0 900 0 0 0 0\n");
    for (auto [name, mac] : {std::pair{"eth1", "02:00:00:00:01:01"}, std::pair{"eth2", "02:00:00:00:01:02"}}) {
      put(fmt::format("root/sys/class/net/{}/address", name), std::string(mac) + "\n");
      put(fmt::format("root/sys/class/net/{}/statistics/rx_packets", name), "10\n");
      put(fmt::format("root/sys/class/net/{}/statistics/rx_bytes", name), "1000\n");
    }
    put("key", kKeyHex + "\n");
    fs::permissions(dir / "key", fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    put("agent.yaml", fmt::format("member: gw1\norchestrators:\n  - address: 127.0.0.1\n    port: {}\n"
                                  "interfaces:\n  ext: eth1\n  int: eth2\nkey_file: {}\n"
                                  "state_dir: {}\nsocket: {}\n",
                                  orch.port, (dir / "key").string(), (dir / "state").string(),
                                  sock()));
  }
  void TearDown() override {
    stop();
    fs::remove_all(dir);
  }
  std::string sock() const { return (dir / "agent.sock").string(); }
  void put(const std::string& rel, const std::string& text) {
    fs::create_directories((dir / rel).parent_path());
    std::ofstream(dir / rel) << text;
  }
  ShellOptions options() const {
    ShellOptions o;
    o.config_path = (dir / "agent.yaml").string();
    o.key_rules.owner = ::getuid();  // the test's key file is ours, not root's
    o.root = (dir / "root").string();
    o.load_period = 100ms;
    return o;
  }
  void start() {
    auto s = Shell::open(options());
    ASSERT_TRUE(s.ok()) << s.error().message;
    shell = std::move(*s);
    runner = std::thread([this] { EXPECT_TRUE(shell->run().ok()); });
  }
  void stop() {
    if (!shell) return;
    shell->stop();
    runner.join();
    shell.reset();
  }
  // Runs clusterXL_admin; returns its exit status and output.
  std::pair<int, std::string> admin(const std::string& args, const std::string& socket = "") {
    std::string cmd = fmt::format("BATON_AGENT_SOCKET='{}' SUDO_USER=tester '{}' {} 2>&1",
                                  socket.empty() ? sock() : socket, CLUSTERXL_ADMIN_PATH, args);
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[512];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int status = ::pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }
  // Registers: the REGISTER, then our ack. Returns the REGISTER.
  control::Message registered() {
    auto reg = orch.next_of<control::Register>();
    EXPECT_TRUE(reg.has_value());
    if (!reg) return {};
    orch.send(reg->header, control::RegisterAck{4, kOrchId, 10'000});
    return *reg;
  }
};

TEST_F(AgentShellTest, RegisterHeartbeatCommandAndPersistentDownAcrossRestart) {
  start();
  auto reg = registered();
  const auto& r = std::get<control::Register>(reg.body);
  EXPECT_EQ(r.name, "gw1");
  ASSERT_EQ(r.interfaces.size(), 2u);
  EXPECT_EQ(r.interfaces[0].mac, (std::array<std::uint8_t, 6>{2, 0, 0, 0, 1, 1}));
  EXPECT_EQ(r.admin.state, control::Admin::up);
  EXPECT_EQ(reg.header.sender_id, agent_node_id("gw1"));

  int heartbeats = 0;
  auto until = std::chrono::steady_clock::now() + 2s;
  while (heartbeats < 5 && std::chrono::steady_clock::now() < until)
    if (auto m = orch.next_of<control::Heartbeat>(500ms)) {
      EXPECT_EQ(m->header.recipient_epoch, kOrchEpoch);
      ++heartbeats;
    }
  EXPECT_EQ(heartbeats, 5);

  orch.send(reg.header, control::Command{42, control::CommandKind::admin_down, false, "ops", "drill"});
  auto res = orch.next_of<control::CommandResult>();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(std::get<control::CommandResult>(res->body).command_id, 42u);
  EXPECT_EQ(std::get<control::CommandResult>(res->body).status, control::CommandStatus::done);
  auto hb = orch.next_of<control::Heartbeat>();
  ASSERT_TRUE(hb.has_value());
  EXPECT_EQ(std::get<control::Heartbeat>(hb->body).admin, control::Admin::down);

  auto [rc, out] = admin("down -p --reason 'disk swap'");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Setting member to administratively down state ..."), std::string::npos) << out;
  EXPECT_NE(out.find("Member state has been changed successfully"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(dir / "state" / "admin.json"));
  auto status = api::call(sock(), {{"command", "show"}, {"what", "status"}});
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ((*status)["admin"]["state"], "down");
  EXPECT_EQ((*status)["admin"]["persistent"], true);
  EXPECT_EQ((*status)["admin"]["who"], "tester");
  EXPECT_EQ((*status)["id"], 4);
  EXPECT_EQ((*status)["registered"][0], fmt::format("127.0.0.1:{}", orch.port));

  stop();  // the agent restarts: the persistent down comes back with it
  orch.rx.forget(agent_node_id("gw1"));
  start();
  auto again = registered();
  const auto& r2 = std::get<control::Register>(again.body);
  EXPECT_EQ(r2.admin, (control::AdminState{control::Admin::down, true, "tester", "disk swap"}));
  EXPECT_GT(again.header.sender_epoch, reg.header.sender_epoch);

  auto [rc2, out2] = admin("up -p");
  EXPECT_EQ(rc2, 0) << out2;
  EXPECT_NE(out2.find("Member state has been changed successfully"), std::string::npos) << out2;
  EXPECT_FALSE(fs::exists(dir / "state" / "admin.json"));
  // Heartbeats sent while clusterXL_admin ran are still queued; one after it says up.
  bool up = false;
  for (auto deadline = std::chrono::steady_clock::now() + 2s; !up && std::chrono::steady_clock::now() < deadline;)
    if (auto hb2 = orch.next_of<control::Heartbeat>(500ms))
      up = std::get<control::Heartbeat>(hb2->body).admin == control::Admin::up;
  EXPECT_TRUE(up);
}

TEST_F(AgentShellTest, ApiRejectsBadRequestsByName) {
  start();
  auto bad = api::call(sock(), {{"command", "shw"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("unknown command \"shw\""), std::string::npos);
  auto bad_state = api::call(sock(), {{"command", "admin"}, {"state", "sideways"}});
  ASSERT_FALSE(bad_state.ok());
  EXPECT_NE(bad_state.error().message.find("\"state\" must be \"down\" or \"up\""), std::string::npos);
}

TEST_F(AgentShellTest, ClusterXLAdminWithoutAgentFailsClearly) {
  auto [rc, out] = admin("down", (dir / "nobody.sock").string());
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("baton-agent is not reachable at"), std::string::npos) << out;
  EXPECT_NE(out.find("nobody.sock"), std::string::npos) << out;
}

TEST_F(AgentShellTest, BadConfigRefusesToStartNamingTheLine) {
  put("agent.yaml", "member: gw1\norchestrators: []\n");
  auto s = Shell::open(options());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("agent.yaml:2:"), std::string::npos) << s.error().message;
}

TEST_F(AgentShellTest, ReloadKeepsTheRunningConfigOnABadFileAndTakesAGoodOne) {
  auto s = Shell::open(options());
  ASSERT_TRUE(s.ok()) << s.error().message;
  put("agent.yaml", "member: [\n");
  (*s)->reload();
  EXPECT_EQ((*s)->config().member, "gw1");
  EXPECT_EQ((*s)->config().log_level, spdlog::level::info);
  std::string text = fmt::format("member: gw1\norchestrators:\n  - address: 127.0.0.1\n    port: {}\n"
                                 "interfaces:\n  ext: eth1\n  int: eth2\nkey_file: {}\n"
                                 "state_dir: {}\nsocket: {}\nlog_level: debug\n",
                                 orch.port, (dir / "key").string(), (dir / "state").string(), sock());
  put("agent.yaml", text);
  (*s)->reload();
  EXPECT_EQ((*s)->config().log_level, spdlog::level::debug);
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug);
  spdlog::set_level(spdlog::level::info);
}

TEST_F(AgentShellTest, PersistFailureIsReportedToTheOrchestratorAndTheTool) {
  start();
  auto reg = registered();
  fs::create_directories(dir / "state" / "admin.json.tmp");  // the write cannot happen
  orch.send(reg.header, control::Command{7, control::CommandKind::admin_down, true, "ops", ""});
  auto res = orch.next_of<control::CommandResult>();
  ASSERT_TRUE(res.has_value());
  const auto& r = std::get<control::CommandResult>(res->body);
  EXPECT_EQ(r.status, control::CommandStatus::failed);
  EXPECT_NE(r.detail.find("could not be persisted"), std::string::npos) << r.detail;
  auto [rc, out] = admin("up -p");  // nothing stored to remove: no write, fine
  EXPECT_EQ(rc, 0) << out;
  auto [rc2, out2] = admin("down -p");
  EXPECT_EQ(rc2, 1) << out2;
  EXPECT_NE(out2.find("could not be persisted"), std::string::npos) << out2;
  EXPECT_EQ(out2.find("not reachable"), std::string::npos) << out2;
}

TEST_F(AgentShellTest, CorruptAdminFileStartsUp) {
  put("state/admin.json", "{\"version\":1,\"state\":\"do");
  start();
  auto reg = registered();
  EXPECT_EQ(std::get<control::Register>(reg.body).admin.state, control::Admin::up);
}

TEST_F(AgentShellTest, MissingInterfaceRefusesToStart) {
  fs::remove_all(dir / "root/sys/class/net/eth2");
  auto s = Shell::open(options());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("interfaces.int"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("eth2"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace baton::agent
