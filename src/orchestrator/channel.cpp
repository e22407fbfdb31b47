#include "orchestrator/channel.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "control/codec.hpp"
#include "vrrp/io/sockaddr.hpp"

namespace baton::orchestrator {

namespace {

std::string text_of(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    return fmt::format("{}:{}", buf, ntohs(a->sin_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
  if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
    ::inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], buf, sizeof buf);
    return fmt::format("{}:{}", buf, ntohs(a->sin6_port));
  }
  ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
  return fmt::format("[{}]:{}", buf, ntohs(a->sin6_port));
}

}  // namespace

Peer peer_of(const config::Endpoint& e) {
  Peer p;
  p.addr = vrrp::io::to_sockaddr(e.address, e.port);
  p.len = vrrp::io::sockaddr_len(e.address.family);
  p.text = e.to_string();
  return p;
}

Channel::Channel(int fd, const auth::Key& key, std::uint32_t self_id, std::uint64_t epoch,
                 Watcher& w, OnMessage cb)
    : fd_(fd),
      watcher_(w),
      sender_(control::control_key(key), self_id, epoch),
      receiver_(control::control_key(key), control::ReceiverConfig{self_id, epoch}),
      on_message_(std::move(cb)) {}

Result<std::unique_ptr<Channel>> Channel::open(const config::Endpoint& local, const auth::Key& key,
                                               std::uint32_t self_id, std::uint64_t epoch,
                                               Watcher& watcher, OnMessage on_message) {
  const auto family = local.address.family;
  int fd = ::socket(vrrp::io::af_of(family), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return err("socket: {}", std::strerror(errno));
  int one = 1, zero = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == vrrp::Family::ipv6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  auto sa = vrrp::io::to_sockaddr(local.address, local.port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), vrrp::io::sockaddr_len(family)) != 0) {
    int e = errno;
    ::close(fd);
    return err("cannot listen on udp {}: {}", local.to_string(), std::strerror(e));
  }
  std::unique_ptr<Channel> ch(new Channel(fd, key, self_id, epoch, watcher, std::move(on_message)));
  ch->v6_socket_ = family == vrrp::Family::ipv6;
  Channel* self = ch.get();
  if (auto s = watcher.watch(fd, [self] { self->on_readable(); }); !s) return s.error();
  return ch;
}

Channel::~Channel() {
  if (fd_ >= 0) {
    watcher_.unwatch(fd_);
    ::close(fd_);
  }
}

Status Channel::send(const Peer& to, std::uint32_t recipient_id, std::uint64_t recipient_epoch,
                     const control::Body& body) {
  auto bytes = sender_.seal(recipient_id, recipient_epoch, body);
  if (!bytes) return bytes.error();
  sockaddr_storage dst = to.addr;
  socklen_t len = to.len;
  // A v6 socket (bound to "::") reaches IPv4 peers through v4-mapped addresses.
  sockaddr_in6 mapped{};
  if (dst.ss_family == AF_INET && v6_socket_) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&to.addr);
    mapped.sin6_family = AF_INET6;
    mapped.sin6_port = v4->sin_port;
    mapped.sin6_addr.s6_addr[10] = 0xff;
    mapped.sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&mapped.sin6_addr.s6_addr[12], &v4->sin_addr, 4);
    std::memcpy(&dst, &mapped, sizeof mapped);
    len = sizeof mapped;
  }
  ssize_t n = ::sendto(fd_, bytes->data(), bytes->size(), 0, reinterpret_cast<const sockaddr*>(&dst), len);
  if (n < 0) {
    ++send_errors_;
    return err("sending {} to {}: {}", control::message_type_name(control::type_of(body)), to.text,
               std::strerror(errno));
  }
  return {};
}

void Channel::on_readable() {
  std::uint8_t buf[65536];
  for (int i = 0; i < 256; ++i) {  // bounded: timers must not starve under a flood
    Peer from;
    from.len = sizeof from.addr;
    ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from.addr), &from.len);
    if (n < 0) return;
    from.text = text_of(from.addr);
    auto r = receiver_.receive(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)));
    on_message_(r, from);
  }
}

}  // namespace baton::orchestrator
