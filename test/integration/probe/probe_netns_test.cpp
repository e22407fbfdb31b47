// baton-probe through a real forwarding namespace: client — gw — server. A 200 ms blackout
// (an nftables drop rule in gw) must show up as a gap, lost datagrams and a TCP stall in the
// window it happened in, with no connection broken and clean windows around it.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "netns.hpp"

namespace baton::testing {
namespace {

using namespace std::chrono_literals;

std::string control(const std::string& path, const std::string& line) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  for (int i = 0; i < 100; ++i) {
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) break;
    std::this_thread::sleep_for(50ms);
  }
  std::string msg = line + "\n";
  (void)!write(fd, msg.data(), msg.size());
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) reply.append(buf, static_cast<std::size_t>(n));
  close(fd);
  return reply;
}

TEST(ProbeNetns, BlackoutIsSeenAsGapLossAndStallWithoutBreakingConnections) {
  if (auto why = netns_unavailable()) GTEST_SKIP() << *why;
  if (!have_program("/usr/sbin/nft")) GTEST_SKIP() << "nft is not installed";
  auto lab_r = Lab::create();
  ASSERT_TRUE(lab_r.ok()) << lab_r.error().message;
  Lab& lab = *lab_r;
  for (auto n : {"client", "gw", "server"}) ASSERT_TRUE(lab.add_netns(n).ok());
  ASSERT_TRUE(lab.add_veth("client", "eth0", "gw", "c0").ok());
  ASSERT_TRUE(lab.add_veth("gw", "s0", "server", "eth0").ok());
  auto ok = [](const Status& s) { return s.ok() ? std::string() : s.error().message; };
  ASSERT_EQ(ok(lab.must("client", "ip addr add 10.1.0.1/24 dev eth0 && ip route add default via 10.1.0.2")), "");
  ASSERT_EQ(ok(lab.must("server", "ip addr add 10.2.0.2/24 dev eth0 && ip route add default via 10.2.0.1")), "");
  ASSERT_EQ(ok(lab.must("gw", "ip addr add 10.1.0.2/24 dev c0 && ip addr add 10.2.0.1/24 dev s0 && "
                             "sysctl -qw net.ipv4.ip_forward=1 && "
                             "nft add table inet probe && "
                             "nft add chain inet probe filt '{ type filter hook forward priority 0; }'")), "");

  auto server = lab.spawn("server", {BATON_PROBE_BIN, "server", "--listen", "10.2.0.2"},
                          lab.dir() + "/server.log");
  ASSERT_TRUE(server.ok()) << server.error().message;
  std::this_thread::sleep_for(300ms);
  std::string sock = lab.dir() + "/probe.sock";
  std::string report = lab.dir() + "/client.json";
  auto client = lab.spawn("client",
                          {"sh", "-c", std::string(BATON_PROBE_BIN) +
                                           " client --server 10.2.0.2 --tcp 8 --udp-rate 1000"
                                           " --json --control " + sock + " > " + report},
                          lab.dir() + "/client.log");
  ASSERT_TRUE(client.ok()) << client.error().message;
  std::this_thread::sleep_for(1000ms);

  EXPECT_EQ(control(sock, "mark blackout"), "ok\n") << read_text(lab.dir() + "/client.log");
  ASSERT_EQ(ok(lab.must("gw", "nft add rule inet probe filt drop")), "");
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(ok(lab.must("gw", "nft flush chain inet probe filt")), "");
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(control(sock, "mark after"), "ok\n");
  std::this_thread::sleep_for(1000ms);
  EXPECT_EQ(control(sock, "stop"), "ok\n");
  auto status = lab.wait_exit(*client, 5000);
  ASSERT_TRUE(status.has_value()) << "client did not exit";

  std::string text = read_text(report);
  auto j = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << text << read_text(lab.dir() + "/client.log");
  std::printf("%s\n", text.c_str());
  const auto& w = j["windows"];
  ASSERT_EQ(w.size(), 3u) << text;
  EXPECT_EQ(w[0]["name"], "start");
  EXPECT_GT(w[0]["udp_received"].get<int>(), 500) << text;
  EXPECT_EQ(w[0]["lost_packets"], 0) << text;
  EXPECT_EQ(w[0]["broken_connections"], 0) << text;

  EXPECT_EQ(w[1]["name"], "blackout");
  EXPECT_GE(w[1]["gap_ms"].get<double>(), 180.0) << text;
  EXPECT_GE(w[1]["lost_packets"].get<int>(), 150) << text;
  EXPECT_GE(w[1]["max_tcp_stall_ms"].get<double>(), 180.0) << text;
  EXPECT_EQ(w[1]["broken_connections"], 0) << text;

  EXPECT_EQ(w[2]["name"], "after");
  EXPECT_EQ(w[2]["lost_packets"], 0) << text;
  EXPECT_EQ(w[2]["broken_connections"], 0) << text;
  EXPECT_EQ(w[2]["tcp_connections"], 8) << text;
}

}  // namespace
}  // namespace baton::testing
