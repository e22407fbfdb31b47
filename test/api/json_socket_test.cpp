#include "api/json_socket.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "poll_watcher.hpp"

namespace baton::api {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class JsonSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("baton-api-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "sub" / "api.sock").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `client` on a thread while this thread serves; returns the client's result.
  template <typename F>
  auto serve_while(F client) {
    auto fut = std::async(std::launch::async, client);
    while (fut.wait_for(0ms) != std::future_status::ready) watcher_.step(10ms);
    return fut.get();
  }

  Handler echo() {
    return [this](const json& req, const Caller& who) -> Result<json> {
      last_caller_ = who;
      if (req.value("command", "") == "fail") return err("member \"gw9\" is not in the group");
      return json{{"echo", req}};
    };
  }

  std::filesystem::path dir_;
  std::string path_;
  testing::PollWatcher watcher_;
  Caller last_caller_{};
};

TEST_F(JsonSocketTest, AnswersARequestWithItsResultAndKnowsTheCaller) {
  auto server = JsonServer::open(path_, "", watcher_, echo());
  ASSERT_TRUE(server) << server.error().message;
  auto r = serve_while([&] { return call(path_, json{{"command", "show"}, {"what", "status"}}); });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["echo"]["what"], "status");
  EXPECT_EQ(last_caller_.uid, ::getuid());
  EXPECT_EQ(last_caller_.pid, ::getpid());
  EXPECT_EQ((*server)->requests(), 1u);
  struct stat st{};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(JsonSocketTest, AHandlerErrorReachesTheClientAsAnError) {
  auto server = JsonServer::open(path_, "", watcher_, echo());
  ASSERT_TRUE(server);
  auto r = serve_while([&] { return call(path_, json{{"command", "fail"}}); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "member \"gw9\" is not in the group");
}

// Sends raw bytes and returns the answer line.
std::string raw_exchange(const std::string& path, const std::string& bytes) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return "connect failed";
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

TEST_F(JsonSocketTest, GarbageAndOversizedRequestsAreRefusedWithAReason) {
  auto server = JsonServer::open(path_, "", watcher_, echo());
  ASSERT_TRUE(server);
  auto garbage = serve_while([&] { return raw_exchange(path_, "{not json\n"); });
  auto g = unwrap_reply(garbage);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "the request is not a JSON object");
  auto array = serve_while([&] { return raw_exchange(path_, "[1,2]\n"); });
  EXPECT_FALSE(unwrap_reply(array));
  auto big = serve_while([&] { return raw_exchange(path_, std::string(kMaxRequestBytes + 10, ' ')); });
  auto b = unwrap_reply(big);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("larger than"), std::string::npos);
  EXPECT_EQ((*server)->refused(), 3u);
  EXPECT_EQ((*server)->requests(), 0u);
  // Still serving after all that.
  auto r = serve_while([&] { return call(path_, json{{"command", "x"}}); });
  EXPECT_TRUE(r);
}

TEST_F(JsonSocketTest, AStaleSocketIsReplacedALiveOneAndOtherFilesAreNot) {
  {
    auto first = JsonServer::open(path_, "", watcher_, echo());
    ASSERT_TRUE(first);
    auto second = JsonServer::open(path_, "", watcher_, echo());
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("in use"), std::string::npos) << second.error().message;
  }
  EXPECT_FALSE(std::filesystem::exists(path_));  // removed on close
  // A socket file left by a crash: nobody listens, so it is replaced.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path_.c_str(), sizeof sa.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ::close(fd);
  auto again = JsonServer::open(path_, "", watcher_, echo());
  ASSERT_TRUE(again) << again.error().message;
  again->reset();
  std::ofstream(path_) << "not a socket";
  auto refused = JsonServer::open(path_, "", watcher_, echo());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("is not a socket"), std::string::npos);
}

TEST_F(JsonSocketTest, ClientErrorsNameTheSocket) {
  auto r = call(path_, json{{"command", "show"}}, 200ms);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(path_), std::string::npos) << r.error().message;
  auto unknown_group = JsonServer::open(path_, "no-such-group-baton", watcher_, echo());
  ASSERT_FALSE(unknown_group);
  EXPECT_NE(unknown_group.error().message.find("no-such-group-baton"), std::string::npos);
}

TEST_F(JsonSocketTest, ASilentClientTimesOutOnTheClientSide) {
  // Listening but never answering: call() gives up after its timeout with a clear error.
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path_.c_str(), sizeof sa.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  auto r = call(path_, json{{"command", "show"}}, 100ms);
  ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no answer"), std::string::npos) << r.error().message;
}

TEST(JsonReply, UnwrapNamesWhatIsMissing) {
  EXPECT_EQ(unwrap_reply("nope").error().message, "the answer is not JSON");
  EXPECT_EQ(unwrap_reply("{}").error().message, "the answer has no \"ok\" field");
  EXPECT_EQ(unwrap_reply(R"({"ok":true})").error().message, "the answer has no \"result\" field");
  EXPECT_EQ(unwrap_reply(R"({"ok":false,"error":"boom"})").error().message, "boom");
  EXPECT_EQ((*unwrap_reply(R"({"ok":true,"result":{"a":1}})"))["a"], 1);
}

}  // namespace
}  // namespace baton::api
