// The batonctl binary end to end against a fake batond: a thread serving a Unix socket in a
// temporary directory that records each request line and answers with a canned line (or
// closes without answering, or never answers).
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../api/poll_watcher.hpp"
#include "api/json_socket.hpp"

namespace {

using nlohmann::json;
using namespace baton;

std::string read_fixture(const std::string& name) {
  std::ifstream f(std::string(BATON_CLI_FIXTURES) + "/" + name);
  if (!f) ADD_FAILURE() << "cannot open fixture " << name;
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

enum class Behaviour { answer, close_silently, never_answer };

// A fake batond: answers every connection with `answer` + "\n" after reading one line.
class FakeDaemon {
 public:
  FakeDaemon(std::string path, Behaviour b, std::string answer)
      : path_(std::move(path)), behaviour_(b), answer_(std::move(answer)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path_.c_str(), sizeof sa.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd_, 8) != 0)
      ADD_FAILURE() << "fake daemon cannot listen on " << path_ << ": " << std::strerror(errno);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeDaemon() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  std::vector<json> requests() {
    std::lock_guard<std::mutex> g(mu_);
    return requests_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string line;
      char buf[4096];
      while (line.find('\n') == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 2000) <= 0) break;
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        line.append(buf, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard<std::mutex> g(mu_);
        requests_.push_back(json::parse(line.substr(0, line.find('\n')), nullptr, false));
      }
      if (behaviour_ == Behaviour::answer) {
        std::string out = answer_ + "\n";
        (void)!::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      } else if (behaviour_ == Behaviour::never_answer) {
        while (!stop_) {
          pollfd q{c, POLLIN, 0};
          if (::poll(&q, 1, 50) > 0) {
            ssize_t n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;  // the client gave up
          }
        }
      }
      ::close(c);
    }
  }

  std::string path_;
  Behaviour behaviour_;
  std::string answer_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<json> requests_;
};

struct Ran {
  int code = -1;
  std::string out, err;
};

std::string drain(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
  return s;
}

// Runs batonctl with `args` and exactly the environment `env` ("K=V").
Ran batonctl(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return {};
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<std::string> argv_s{BATONCTL_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = env;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, BATONCTL_PATH, &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  ::close(err[1]);
  Ran r;
  if (rc != 0) {
    ADD_FAILURE() << "cannot run " << BATONCTL_PATH << ": " << std::strerror(rc);
    ::close(out[0]);
    ::close(err[0]);
    return r;
  }
  // The outputs are small; stderr is read after stdout reaches end of file.
  r.out = drain(out[0]);
  r.err = drain(err[0]);
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

class BatonctlBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/batonctl-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    socket_ = dir_ + "/batond.sock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, socket_;
};

TEST_F(BatonctlBinary, ShowMembersPrintsTheTable) {
  json result = json::parse(read_fixture("show_members.json"));
  FakeDaemon d(socket_, Behaviour::answer, json{{"ok", true}, {"result", result}}.dump());
  auto r = batonctl({"--socket", socket_, "show", "members"}, {});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, read_fixture("show_members.txt"));
  EXPECT_EQ(r.err, "");
  ASSERT_EQ(d.requests().size(), 1u);
  EXPECT_EQ(d.requests()[0], (json{{"command", "show"}, {"what", "members"}}));
}

TEST_F(BatonctlBinary, JsonOutputIsTheResultAsReceived) {
  json result = json::parse(read_fixture("show_distribution.json"));
  FakeDaemon d(socket_, Behaviour::answer, json{{"ok", true}, {"result", result}}.dump());
  auto r = batonctl({"show", "distribution", "-o", "json"}, {"BATON_SOCKET=" + socket_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), result);
  EXPECT_EQ(r.out, result.dump(2) + "\n");
}

TEST_F(BatonctlBinary, MemberDownRecordsSudoUser) {
  FakeDaemon d(socket_, Behaviour::answer,
               R"({"ok":true,"result":{"name":"gw2","changed":true,"state":"draining","generation":9}})");
  auto r = batonctl({"--socket", socket_, "member", "down", "gw2", "-p", "--reason", "disk"},
                    {"SUDO_USER=carol", "USER=root"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "member gw2: admin down (persistent); state draining, table generation 9\n");
  ASSERT_EQ(d.requests().size(), 1u);
  EXPECT_EQ(d.requests()[0]["who"], "carol");
  EXPECT_EQ(d.requests()[0]["reason"], "disk");
  EXPECT_EQ(d.requests()[0]["persistent"], true);
}

TEST_F(BatonctlBinary, ErrorAnswerExits1WithTheDaemonsMessage) {
  FakeDaemon d(socket_, Behaviour::answer, R"({"ok":false,"error":"member \"gw9\" is not in the group"})");
  auto r = batonctl({"--socket", socket_, "member", "up", "gw9"}, {"USER=dave"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "batonctl: batond: member \"gw9\" is not in the group\n");
}

TEST_F(BatonctlBinary, MalformedAnswerExits1) {
  FakeDaemon d(socket_, Behaviour::answer, "this is not json");
  auto r = batonctl({"--socket", socket_, "show", "status"}, {});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not JSON"), std::string::npos) << r.err;
}

TEST_F(BatonctlBinary, NobodyListeningExits3NamingTheSocket) {
  auto r = batonctl({"show", "status"}, {"BATON_SOCKET=" + socket_});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("cannot connect to " + socket_ + ": No such file or directory"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is batond running?"), std::string::npos) << r.err;
}

TEST_F(BatonctlBinary, ClosedWithoutAnswerExits3) {
  FakeDaemon d(socket_, Behaviour::close_silently, "");
  auto r = batonctl({"--socket", socket_, "show", "vrrp"}, {});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find(socket_ + " closed the connection without answering"), std::string::npos)
      << r.err;
}

TEST_F(BatonctlBinary, NoAnswerInTimeExits3) {
  FakeDaemon d(socket_, Behaviour::never_answer, "");
  auto start = std::chrono::steady_clock::now();
  auto r = batonctl({"--socket", socket_, "--timeout", "0.3", "show", "status"}, {});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("no answer from " + socket_ + " within 300 ms"), std::string::npos)
      << r.err;
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST_F(BatonctlBinary, UsageExits2) {
  auto r = batonctl({"member", "down", "gw1"}, {"BATON_SOCKET=" + socket_});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--reason"), std::string::npos) << r.err;
}

// The real server side (api::JsonServer, as batond runs it) on its own thread.
class RealServer {
 public:
  RealServer(const std::string& path, api::Handler handler) {
    std::promise<std::string> opened;
    auto result = opened.get_future();
    thread_ = std::thread([&, handler = std::move(handler)]() mutable {
      baton::testing::PollWatcher watcher;
      auto server = api::JsonServer::open(path, "", watcher, std::move(handler));
      opened.set_value(server ? "" : server.error().message);
      if (!server) return;
      while (!stop_) watcher.step(std::chrono::milliseconds(20));
    });
    error_ = result.get();
  }
  ~RealServer() {
    stop_ = true;
    thread_.join();
  }
  const std::string& error() const { return error_; }

 private:
  std::atomic<bool> stop_{false};
  std::string error_;
  std::thread thread_;
};

TEST_F(BatonctlBinary, AgainstTheRealJsonServer) {
  std::vector<json> seen;
  std::vector<uid_t> uids;
  std::mutex mu;
  RealServer server(socket_, [&](const json& req, const api::Caller& caller) -> Result<json> {
    std::lock_guard<std::mutex> g(mu);
    seen.push_back(req);
    uids.push_back(caller.uid);
    if (req.value("command", "") == "show")
      return json::parse(read_fixture("show_" + req.value("what", "") + ".json"));
    return err("member \"{}\" is not in the group", req.value("name", ""));
  });
  ASSERT_EQ(server.error(), "");
  for (const char* what : {"status", "members", "distribution", "vrrp"}) {
    auto r = batonctl({"--socket", socket_, "show", what}, {});
    EXPECT_EQ(r.code, 0) << what << ": " << r.err;
    EXPECT_EQ(r.out, read_fixture(std::string("show_") + what + ".txt")) << what;
  }
  auto r = batonctl({"--socket", socket_, "member", "down", "gw9", "--reason", "test"},
                    {"USER=erin"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "batonctl: batond: member \"gw9\" is not in the group\n");
  std::lock_guard<std::mutex> g(mu);
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[4]["who"], "erin");
  EXPECT_EQ(uids[4], ::getuid());
}

}  // namespace
