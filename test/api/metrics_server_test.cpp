// MetricsServer: GET /metrics over real HTTP on 127.0.0.1, a clear error when the port is
// taken, and a clean stop in the destructor.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#include <httplib.h>
#pragma GCC diagnostic pop

#include "api/metrics.hpp"

namespace baton::api {
namespace {

TEST(MetricsServer, ServesMetricsOnAnyPort) {
  std::atomic<int> calls{0};
  auto s = MetricsServer::start("127.0.0.1", 0, [&] {
    ++calls;
    MetricsSnapshot snap;
    snap.table_generation = 7 + static_cast<std::uint64_t>(calls.load());
    return render_metrics(snap);
  });
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_NE((*s)->port(), 0);
  httplib::Client c("127.0.0.1", (*s)->port());
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(2, 0);
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("baton_table_generation 8\n"), std::string::npos) << r->body;
  auto again = c.Get("/metrics");
  ASSERT_TRUE(again);
  EXPECT_NE(again->body.find("baton_table_generation 9\n"), std::string::npos);
  EXPECT_EQ((*s)->scrapes(), 2u);

  auto other = c.Get("/");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  EXPECT_NE(other->body.find("/metrics"), std::string::npos) << other->body;
}

TEST(MetricsServer, PortTakenIsAClearError) {
  auto first = MetricsServer::start("127.0.0.1", 0, [] { return std::string("x\n"); });
  ASSERT_TRUE(first) << first.error().message;
  std::uint16_t port = (*first)->port();
  auto second = MetricsServer::start("127.0.0.1", port, [] { return std::string("y\n"); });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message,
            "metrics: cannot listen on 127.0.0.1:" + std::to_string(port) +
                ": Address already in use");
}

TEST(MetricsServer, BadAddressIsAClearError) {
  auto s = MetricsServer::start("no-such-host.invalid", 9470, [] { return std::string(); });
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("no-such-host.invalid:9470"), std::string::npos)
      << s.error().message;
}

TEST(MetricsServer, StopsInDestructorAndFreesThePort) {
  std::uint16_t port = 0;
  {
    auto s = MetricsServer::start("127.0.0.1", 0, [] { return std::string("a 1\n"); });
    ASSERT_TRUE(s) << s.error().message;
    port = (*s)->port();
  }
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1, 0);
  EXPECT_FALSE(c.Get("/metrics"));
  auto again = MetricsServer::start("127.0.0.1", port, [] { return std::string("b 1\n"); });
  EXPECT_TRUE(again) << again.error().message;
}

TEST(MetricsServer, RenderThrowingGives500) {
  auto s = MetricsServer::start("127.0.0.1", 0, []() -> std::string {
    throw std::runtime_error("snapshot unavailable");
  });
  ASSERT_TRUE(s) << s.error().message;
  httplib::Client c("127.0.0.1", (*s)->port());
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("snapshot unavailable"), std::string::npos);
}

}  // namespace
}  // namespace baton::api
