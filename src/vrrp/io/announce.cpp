#include "vrrp/io/announce.hpp"

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vrrp/checksum.hpp"

namespace baton::vrrp::io {
namespace {

void put16(std::vector<std::uint8_t>& v, unsigned x) {
  v.push_back(static_cast<std::uint8_t>(x >> 8));
  v.push_back(static_cast<std::uint8_t>(x));
}

void put_bytes(std::vector<std::uint8_t>& v, std::span<const std::uint8_t> b) {
  v.insert(v.end(), b.begin(), b.end());
}

constexpr MacAddress kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr MacAddress kAllNodes = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};

}  // namespace

std::vector<std::uint8_t> gratuitous_arp_frame(const MacAddress& mac, const IpAddr& v4) {
  std::vector<std::uint8_t> f;
  put_bytes(f, kBroadcast);
  put_bytes(f, mac);
  put16(f, ETH_P_ARP);
  put16(f, 1);       // hardware: Ethernet
  put16(f, ETH_P_IP);
  f.push_back(6);
  f.push_back(4);
  put16(f, 1);       // request
  put_bytes(f, mac);
  put_bytes(f, v4.view());
  put_bytes(f, MacAddress{});  // target MAC unknown
  put_bytes(f, v4.view());
  f.resize(60, 0);   // minimum Ethernet payload
  return f;
}

std::vector<std::uint8_t> unsolicited_na_frame(const MacAddress& mac, const IpAddr& source,
                                               const IpAddr& target) {
  IpAddr all_nodes = *IpAddr::parse("ff02::1");
  std::vector<std::uint8_t> icmp;
  icmp.push_back(136);  // Neighbor Advertisement
  icmp.push_back(0);
  put16(icmp, 0);       // checksum, below
  icmp.push_back(0xa0); // Router | Override
  icmp.insert(icmp.end(), 3, 0);
  put_bytes(icmp, target.view());
  icmp.push_back(2);    // option: target link-layer address
  icmp.push_back(1);    // length in units of 8 bytes
  put_bytes(icmp, mac);

  std::uint32_t sum = ones_sum(source.view());
  sum = ones_sum(all_nodes.view(), sum);
  sum += static_cast<std::uint32_t>(icmp.size());
  sum += 58;  // next header ICMPv6
  std::uint16_t csum = fold_complement(ones_sum(icmp, sum));
  icmp[2] = static_cast<std::uint8_t>(csum >> 8);
  icmp[3] = static_cast<std::uint8_t>(csum);

  std::vector<std::uint8_t> f;
  put_bytes(f, kAllNodes);
  put_bytes(f, mac);
  put16(f, ETH_P_IPV6);
  f.push_back(0x60);
  f.insert(f.end(), 3, 0);
  put16(f, static_cast<unsigned>(icmp.size()));
  f.push_back(58);
  f.push_back(255);
  put_bytes(f, source.view());
  put_bytes(f, all_nodes.view());
  put_bytes(f, icmp);
  return f;
}

std::vector<Duration> announce_offsets(unsigned count, Duration first_gap) {
  std::vector<Duration> out;
  for (unsigned i = 0; i < count; ++i)
    out.push_back(i == 0 ? Duration{0} : first_gap * (std::int64_t{1} << (i - 1)));
  return out;
}

Result<Announcer> Announcer::open(int ifindex, const MacAddress& mac) {
  int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return err("packet socket for gratuitous ARP: {}", std::strerror(errno));
  return Announcer(fd, ifindex, mac);
}

Announcer::Announcer(Announcer&& o) noexcept : fd_(o.fd_), ifindex_(o.ifindex_), mac_(o.mac_) {
  o.fd_ = -1;
}

Announcer::~Announcer() {
  if (fd_ >= 0) ::close(fd_);
}

Status Announcer::announce(std::span<const IpAddr> addresses, const IpAddr& ll_source) {
  for (const IpAddr& a : addresses) {
    auto frame = a.family == Family::ipv4 ? gratuitous_arp_frame(mac_, a)
                                          : unsolicited_na_frame(mac_, ll_source, a);
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_ifindex = ifindex_;
    ll.sll_halen = 6;
    std::memcpy(ll.sll_addr, frame.data(), 6);
    if (::sendto(fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&ll),
                 sizeof ll) < 0)
      return err("announce {}: {}", a.to_string(), std::strerror(errno));
  }
  return {};
}

}  // namespace baton::vrrp::io
