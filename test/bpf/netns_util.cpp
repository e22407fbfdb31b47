#include "netns_util.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace baton::bpf::testing {
namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

Result<int> packet_socket(const std::string& ifname) {
  const unsigned idx = if_nametoindex(ifname.c_str());
  if (idx == 0) return err("interface {}: {}", ifname, std::strerror(errno));
  const int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) return err("AF_PACKET socket: {}", std::strerror(errno));
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(idx);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
    const int e = errno;
    close(fd);
    return err("binding to {}: {}", ifname, std::strerror(e));
  }
  return fd;
}

}  // namespace

Status send_frames(const std::string& ifname, const std::vector<test::Bytes>& frames) {
  auto fd = packet_socket(ifname);
  if (!fd) return fd.error();
  Fd guard{*fd};
  for (const auto& f : frames)
    if (send(*fd, f.data(), f.size(), 0) != static_cast<ssize_t>(f.size()))
      return err("sending on {}: {}", ifname, std::strerror(errno));
  return {};
}

Result<std::vector<test::Bytes>> receive_frames(const std::string& ifname,
                                                const std::atomic<bool>& stop) {
  auto fd = packet_socket(ifname);
  if (!fd) return fd.error();
  Fd guard{*fd};
  timeval tv{0, 50000};
  setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<test::Bytes> out;
  std::uint8_t buf[2048];
  while (!stop.load()) {
    sockaddr_ll from{};
    socklen_t len = sizeof from;
    const ssize_t n = recvfrom(*fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return err("receiving on {}: {}", ifname, std::strerror(errno));
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    out.emplace_back(buf, buf + n);
  }
  return out;
}

Result<Mac> interface_mac(const std::string& ifname) {
  Fd s{socket(AF_INET, SOCK_DGRAM, 0)};
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (ioctl(s.fd, SIOCGIFHWADDR, &ifr) != 0)
    return err("MAC of {}: {}", ifname, std::strerror(errno));
  Mac m{};
  std::memcpy(m.data(), ifr.ifr_hwaddr.sa_data, 6);
  return m;
}

Result<std::uint32_t> attached_prog_id(const std::string& ifname) {
  const unsigned idx = if_nametoindex(ifname.c_str());
  if (idx == 0) return err("interface {}: {}", ifname, std::strerror(errno));
  bpf_xdp_query_opts q{};
  q.sz = sizeof q;
  if (bpf_xdp_query(static_cast<int>(idx), 0, &q) != 0)
    return err("querying XDP on {}: {}", ifname, std::strerror(errno));
  return q.prog_id;
}

std::uint32_t prog_id(int prog_fd) {
  bpf_prog_info info{};
  std::uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) return 0;
  return info.id;
}

}  // namespace baton::bpf::testing
