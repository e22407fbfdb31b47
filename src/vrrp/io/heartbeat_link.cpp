#include "vrrp/io/heartbeat_link.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace baton::vrrp::io {

Result<Endpoint> Endpoint::parse(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return err("'{}': expected [address]:port", text);
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return err("'{}': expected address:port", text);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto addr = IpAddr::parse(host);
  if (!addr) return err("'{}': {}", text, addr.error().message);
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc{} || ptr != port.data() + port.size() || p == 0 || p > 65535)
    return err("'{}': bad port '{}'", text, port);
  return Endpoint{*addr, static_cast<std::uint16_t>(p)};
}

std::string Endpoint::to_string() const {
  if (addr.family == Family::ipv6) return "[" + addr.to_string() + "]:" + std::to_string(port);
  return addr.to_string() + ":" + std::to_string(port);
}

Result<HeartbeatLink> HeartbeatLink::open(const Endpoint& local, const Endpoint& peer) {
  if (local.addr.family != peer.addr.family)
    return err("heartbeat local {} and peer {} are of different families", local.to_string(),
               peer.to_string());
  const Family f = local.addr.family;
  int fd = ::socket(af_of(f), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return err("heartbeat socket: {}", std::strerror(errno));
  HeartbeatLink link(fd);
  int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int tos = 0xc0;  // CS6
  if (f == Family::ipv4) (void)::setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  else (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
  int prio = 6;
  (void)::setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &prio, sizeof prio);
  sockaddr_storage l = to_sockaddr(local.addr, local.port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&l), sockaddr_len(f)) != 0)
    return err("heartbeat bind {}: {}", local.to_string(), std::strerror(errno));
  sockaddr_storage p = to_sockaddr(peer.addr, peer.port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&p), sockaddr_len(f)) != 0)
    return err("heartbeat connect {}: {}", peer.to_string(), std::strerror(errno));
  return link;
}

HeartbeatLink::~HeartbeatLink() {
  if (fd_ >= 0) ::close(fd_);
}

Status HeartbeatLink::send(const HeartbeatMessage& m) {
  auto bytes = encode_heartbeat(m);
  if (::send(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT) >= 0) return {};
  switch (errno) {
    case ECONNREFUSED:
      refused_ = true;
      return {};
    case ENETUNREACH: case EHOSTUNREACH: case ENETDOWN: case EAGAIN:
      return {};
    default:
      return err("heartbeat send: {}", std::strerror(errno));
  }
}

std::optional<HeartbeatDecoded> HeartbeatLink::receive() {
  std::uint8_t buf[512];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n >= 0) return decode_heartbeat({buf, static_cast<std::size_t>(n)});
    if (errno == ECONNREFUSED) {  // port unreachable for an earlier send: noted, read on
      refused_ = true;
      continue;
    }
    return std::nullopt;
  }
}

}  // namespace baton::vrrp::io
