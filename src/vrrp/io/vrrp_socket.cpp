#include "vrrp/io/vrrp_socket.hpp"

#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vrrp/checksum.hpp"
#include "vrrp/io/sockaddr.hpp"
#include "vrrp/ip_packet.hpp"

namespace baton::vrrp::io {
namespace {

template <typename T>
Status setopt(int fd, int level, int name, const T& value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0)
    return err("setsockopt {}: {}", what, std::strerror(errno));
  return {};
}

Status bind_device(int fd, const std::string& ifname) {
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                   static_cast<socklen_t>(ifname.size())) != 0)
    return err("bind to interface '{}': {}", ifname, std::strerror(errno));
  return {};
}

// Opens a raw protocol-112 socket, bound to `ifname` unless it is empty.
Result<int> raw_socket(Family f, const std::string& ifname) {
  int fd = ::socket(af_of(f), SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kIpProtoVrrp);
  if (fd < 0) return err("raw socket (IP protocol 112): {}", std::strerror(errno));
  if (ifname.empty()) return fd;
  if (auto s = bind_device(fd, ifname); !s) {
    ::close(fd);
    return s.error();
  }
  return fd;
}

Status join(int fd, Family f, unsigned ifindex) {
  if (f == Family::ipv4) {
    ip_mreqn mreq{};
    mreq.imr_multiaddr = in_addr{htonl(0xe0000012)};
    mreq.imr_ifindex = static_cast<int>(ifindex);
    return setopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, "join 224.0.0.18");
  }
  ipv6_mreq mreq{};
  IpAddr group = vrrp_group(Family::ipv6);
  std::memcpy(&mreq.ipv6mr_multiaddr, group.bytes.data(), 16);
  mreq.ipv6mr_interface = ifindex;
  return setopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq, "join ff02::12");
}

Status setup_rx(int fd, Family f, unsigned rx_index, unsigned tx_index) {
  if (auto s = join(fd, f, rx_index); !s) return s;
  if (tx_index != rx_index)
    if (auto s = join(fd, f, tx_index); !s) return s;
  if (f == Family::ipv4) {
    if (auto s = setopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL"); !s) return s;
    return setopt(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
  }
  if (auto s = setopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"); !s) return s;
  return setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
}

Status setup_tx(int fd, Family f, unsigned ifindex, const IpAddr& source) {
  // A send-only socket: accept nothing so that its receive queue never fills.
  sock_filter drop_all{BPF_RET | BPF_K, 0, 0, 0};
  sock_fprog prog{1, &drop_all};
  if (auto s = setopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog, "drop-all filter"); !s) return s;
  if (f == Family::ipv4) {
    if (auto s = setopt(fd, IPPROTO_IP, IP_TTL, 255, "IP_TTL"); !s) return s;
    if (auto s = setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL"); !s) return s;
    if (auto s = setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP"); !s) return s;
    ip_mreqn mif{};
    mif.imr_ifindex = static_cast<int>(ifindex);
    if (auto s = setopt(fd, IPPROTO_IP, IP_MULTICAST_IF, mif, "IP_MULTICAST_IF"); !s) return s;
    // The source of our adverts is our primary address, whichever interface sends them.
    if (auto s = setopt(fd, IPPROTO_IP, IP_FREEBIND, 1, "IP_FREEBIND"); !s) return s;
  } else {
    if (auto s = setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS"); !s) return s;
    if (auto s = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS"); !s)
      return s;
    if (auto s = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP"); !s)
      return s;
    if (auto s = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(ifindex),
                        "IPV6_MULTICAST_IF");
        !s)
      return s;
    if (auto s = setopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, 1, "IPV6_FREEBIND"); !s) return s;
    // The kernel fills in the checksum at offset 6 of the VRRP message (pseudo-header form).
    if (auto s = setopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, -1, "IPV6_CHECKSUM off"); !s) return s;
  }
  sockaddr_storage ss = to_sockaddr(source, 0, f == Family::ipv6 ? ifindex : 0);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), sockaddr_len(f)) != 0)
    return err("bind raw socket to source {}: {}", source.to_string(), std::strerror(errno));
  return {};
}

}  // namespace

Result<VrrpSocket> VrrpSocket::open(const VrrpSocketConfig& cfg) {
  unsigned rx_index = if_nametoindex(cfg.rx_interface.c_str());
  if (rx_index == 0) return err("no interface named '{}'", cfg.rx_interface);
  unsigned tx_index = if_nametoindex(cfg.tx_interface.c_str());
  if (tx_index == 0) return err("no interface named '{}'", cfg.tx_interface);
  auto rx = raw_socket(cfg.family, "");
  if (!rx) return rx.error();
  auto tx = raw_socket(cfg.family, cfg.tx_interface);
  if (!tx) {
    ::close(*rx);
    return tx.error();
  }
  VrrpSocket sock(cfg.family, *rx, *tx, static_cast<int>(rx_index), static_cast<int>(tx_index));
  if (auto s = setup_rx(*rx, cfg.family, rx_index, tx_index); !s)
    return err("{} on {}: {}", "receive socket", cfg.rx_interface, s.error().message);
  if (auto s = setup_tx(*tx, cfg.family, tx_index, cfg.source); !s)
    return err("{} on {}: {}", "send socket", cfg.tx_interface, s.error().message);
  return sock;
}

VrrpSocket::VrrpSocket(VrrpSocket&& o) noexcept
    : family_(o.family_), rx_fd_(o.rx_fd_), tx_fd_(o.tx_fd_), rx_ifindex_(o.rx_ifindex_),
      tx_ifindex_(o.tx_ifindex_),
      buf_(std::move(o.buf_)) {
  o.rx_fd_ = -1;
  o.tx_fd_ = -1;
}

VrrpSocket::~VrrpSocket() {
  if (rx_fd_ >= 0) ::close(rx_fd_);
  if (tx_fd_ >= 0) ::close(tx_fd_);
}

Status VrrpSocket::send(std::span<const std::uint8_t> message, const IpAddr& dst) {
  sockaddr_storage ss = to_sockaddr(dst, 0, family_ == Family::ipv6 ? static_cast<unsigned>(tx_ifindex_) : 0);
  ssize_t n = ::sendto(tx_fd_, message.data(), message.size(), 0,
                       reinterpret_cast<sockaddr*>(&ss), sockaddr_len(family_));
  if (n < 0) return err("send advert to {}: {}", dst.to_string(), std::strerror(errno));
  return {};
}

std::optional<Verdict<RxPacket>> VrrpSocket::receive() {
  sockaddr_storage from{};
  iovec iov{buf_.data(), buf_.size()};
  alignas(cmsghdr) char control[256];
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  for (;;) {
    msg.msg_namelen = sizeof from;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(rx_fd_, &msg, MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    auto v = decode(std::span<const std::uint8_t>(buf_.data(), static_cast<std::size_t>(n)), msg,
                    from);
    if (v) return v;  // nullopt: it came in on another interface
  }
}

std::optional<Verdict<RxPacket>> VrrpSocket::decode(std::span<const std::uint8_t> data,
                                                    msghdr& msg, const sockaddr_storage& from) {
  int ifindex = 0;
  RxPacket rx;
  rx.family = family_;
  bool have_dst = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      ifindex = info.ipi_ifindex;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      int hops = 0;
      std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
      rx.ttl = static_cast<std::uint8_t>(hops);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      ifindex = static_cast<int>(info.ipi6_ifindex);
      rx.dst = IpAddr::from_bytes(Family::ipv6,
                                  {reinterpret_cast<const std::uint8_t*>(&info.ipi6_addr), 16});
      have_dst = true;
    }
  }
  if (ifindex != rx_ifindex_ && ifindex != tx_ifindex_) return std::nullopt;
  if (family_ == Family::ipv4) return parse_ip_packet(data);
  auto src = from_sockaddr(from);
  if (!src || !have_dst) return Verdict<RxPacket>(DropReason::not_ip);
  rx.src = *src;
  rx.payload = data;
  return Verdict<RxPacket>(rx);
}

}  // namespace baton::vrrp::io
