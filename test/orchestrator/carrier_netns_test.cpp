// CarrierWatch on real interfaces (privileged): a port in another namespace loses carrier
// when the far end of its veth goes down, gets it back, and disappears; a configured port
// that does not exist is reported missing.
#include <poll.h>

#include <chrono>

#include <gtest/gtest.h>

#include "netns.hpp"
#include "orchestrator/carrier.hpp"

namespace baton::orchestrator {
namespace {

using namespace std::chrono_literals;

// The event loop seam for one descriptor: the test polls it.
struct OneFd : Watcher {
  int fd = -1;
  std::function<void()> ready;
  Status watch(int f, std::function<void()> r) override {
    fd = f;
    ready = std::move(r);
    return {};
  }
  void unwatch(int) override { fd = -1; }
  // Serves the descriptor until `done` or `limit`.
  bool until(const std::function<bool()>& done, std::chrono::milliseconds limit = 3s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) ready();
    }
    return true;
  }
};

TEST(CarrierWatch, FollowsThePortsInAnotherNamespace) {
  if (auto why = testing::netns_unavailable()) GTEST_SKIP() << *why;
  auto lab = testing::Lab::create();
  ASSERT_TRUE(lab) << lab.error().message;
  ASSERT_TRUE(lab->add_netns("sw"));
  ASSERT_TRUE(lab->add_netns("m"));
  ASSERT_TRUE(lab->add_veth("sw", "m-ext", "m", "ext"));

  OneFd loop;
  std::vector<std::pair<std::string, bool>> changes;
  auto w = CarrierWatch::open(loop, lab->ns("sw"), {"m-ext", "m-nothere"},
                              [&](const std::string& p, bool c) { changes.emplace_back(p, c); });
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(loop.until([&] { return (*w)->dumped(); }));
  EXPECT_EQ((*w)->carrier("m-ext"), std::optional<bool>(true));
  EXPECT_EQ((*w)->missing(), std::vector<std::string>{"m-nothere"});
  EXPECT_TRUE(changes.empty()) << "a port found with carrier is not news";

  ASSERT_EQ(lab->run("m", "ip link set dev ext down").exit_code, 0);
  ASSERT_TRUE(loop.until([&] { return !changes.empty(); })) << "no carrier loss reported";
  EXPECT_EQ(changes.back(), (std::pair<std::string, bool>{"m-ext", false}));
  EXPECT_EQ((*w)->carrier("m-ext"), std::optional<bool>(false));

  ASSERT_EQ(lab->run("m", "ip link set dev ext up").exit_code, 0);
  ASSERT_TRUE(loop.until([&] { return changes.back().second; })) << "carrier not back";
  EXPECT_EQ(changes.back(), (std::pair<std::string, bool>{"m-ext", true}));

  ASSERT_EQ(lab->run("sw", "ip link del dev m-ext").exit_code, 0);
  ASSERT_TRUE(loop.until([&] { return !changes.back().second; })) << "deletion not reported";
  EXPECT_EQ((*w)->carrier("m-ext"), std::optional<bool>(false));
  EXPECT_EQ((*w)->errors(), 0u);
}

TEST(CarrierWatch, ANamespaceThatDoesNotExistIsAClearError) {
  if (auto why = testing::netns_unavailable()) GTEST_SKIP() << *why;
  OneFd loop;
  auto w = CarrierWatch::open(loop, "baton-no-such-netns", {"x"}, [](const std::string&, bool) {});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message,
            "network namespace baton-no-such-netns (/run/netns/baton-no-such-netns): No such file "
            "or directory");
}

}  // namespace
}  // namespace baton::orchestrator
