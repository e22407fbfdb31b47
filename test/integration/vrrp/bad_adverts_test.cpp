// Malformed and wrong-VRID adverts on the wire change nothing and are counted.
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "vrrp/advert.hpp"
#include "vrrp/ip_packet.hpp"
#include "vrrp_lab.hpp"

namespace baton::testing {
namespace {

using namespace std::chrono_literals;
using vrrp::Advert;
using vrrp::IpAddr;

// Sends whole IP packets (we write the header: TTL, checksum) out of eth0 in namespace c.
void inject(VrrpLab& v, const std::vector<std::vector<std::uint8_t>>& packets) {
  auto s = v.lab().in_netns("c", [&] {
    int fd = ::socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "eth0", 4), 0) << std::strerror(errno);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_addr.s_addr = htonl(0xe0000012);
    for (const auto& p : packets)
      EXPECT_EQ(::sendto(fd, p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst),
                static_cast<ssize_t>(p.size()))
          << std::strerror(errno);
    ::close(fd);
  });
  ASSERT_TRUE(s) << s.error().message;
}

std::vector<std::uint8_t> advert_packet(std::uint8_t vrid, std::uint8_t prio, std::uint8_t ttl,
                                        bool corrupt_checksum) {
  IpAddr src = *IpAddr::parse("10.0.0.10");
  IpAddr dst = vrrp::vrrp_group(vrrp::Family::ipv4);
  Advert a;
  a.vrid = vrid;
  a.priority = prio;
  a.interval_cs = 1;
  a.addresses = {*IpAddr::parse(kVip)};
  auto msg = *vrrp::encode_advert(a, src, dst);
  if (corrupt_checksum) msg[6] ^= 0x5a;
  return vrrp::encode_ip_packet(src, dst, ttl, msg);
}

std::uint64_t drops(const nlohmann::json& st, const char* reason) {
  const auto& d = st["counters"]["drops"];
  return d.contains(reason) ? d[reason].get<std::uint64_t>() : 0;
}

TEST(VrrpBadAdverts, AreCountedAndChangeNothing) {
  VRRP_LAB_OR_SKIP(v);
  auto a = v.start_baton(kA, 150);
  auto b = v.start_baton(kB, 100);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(eventually([&] { return v.state(*a) == "master" && v.state(*b) == "backup"; }, 5s))
      << v.logs();
  std::this_thread::sleep_for(100ms);
  int transitions_a = v.status(*a)["counters"]["transitions"].get<int>();
  int transitions_b = v.status(*b)["counters"]["transitions"].get<int>();
  // Priority 254 (would preempt both) but each packet is wrong in one way.
  std::vector<std::vector<std::uint8_t>> bad;
  for (int i = 0; i < 5; ++i) {
    bad.push_back(advert_packet(52, 254, 255, false));  // another VRID
    bad.push_back(advert_packet(51, 254, 255, true));   // bad checksum
    bad.push_back(advert_packet(51, 254, 64, false));   // TTL not 255 (routed)
    auto shorty = advert_packet(51, 254, 255, false);   // only 4 bytes of VRRP
    shorty.resize(24);
    shorty[2] = 0;
    shorty[3] = 24;  // IPv4 total length
    // Fix the IPv4 header checksum for the new length.
    shorty[10] = shorty[11] = 0;
    std::uint32_t sum = 0;
    for (int k = 0; k < 20; k += 2) sum += (shorty[k] << 8) | shorty[k + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    shorty[10] = static_cast<std::uint8_t>(~sum >> 8);
    shorty[11] = static_cast<std::uint8_t>(~sum);
    bad.push_back(shorty);
  }
  inject(v, bad);
  for (const Daemon* d : {&*a, &*b}) {
    EXPECT_TRUE(eventually([&] {
      auto st = v.status(*d);
      return st.is_object() && drops(st, "wrong-vrid") >= 5 && drops(st, "bad-checksum") >= 5 &&
             drops(st, "bad-ttl") >= 5 && drops(st, "short") >= 5;
    }, 2s)) << v.status(*d).dump(2);
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(v.state(*a), "master");
  EXPECT_EQ(v.state(*b), "backup");
  EXPECT_EQ(v.status(*a)["counters"]["transitions"].get<int>(), transitions_a) << v.logs();
  EXPECT_EQ(v.status(*b)["counters"]["transitions"].get<int>(), transitions_b) << v.logs();
  EXPECT_TRUE(v.holds_vip(kA));
}

}  // namespace
}  // namespace baton::testing
