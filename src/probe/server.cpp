#include "probe/server.hpp"

#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

#include "probe/net.hpp"

namespace baton::probe {
namespace {

struct Conn {
  std::vector<std::uint8_t> pending;  // received, not yet echoed (peer slow to read)
};

}  // namespace

Status run_server(const ServerOptions& opt) {
  auto addr = parse_addr(opt.listen, opt.port);
  if (!addr) return err("--listen: {}", addr.error().message);

  int one = 1;
  int lfd = socket(addr->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int ufd = socket(addr->family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0 || ufd < 0) return err("socket: {}", errno_text(errno));
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(ufd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, addr->get(), addr->len) < 0 || listen(lfd, 1024) < 0)
    return err("cannot listen on TCP {}:{}: {}", opt.listen, opt.port, errno_text(errno));
  if (bind(ufd, addr->get(), addr->len) < 0)
    return err("cannot bind UDP {}:{}: {}", opt.listen, opt.port, errno_text(errno));

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  auto watch = [&](int fd, std::uint32_t ev) {
    epoll_event e{};
    e.events = ev;
    e.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
  };
  watch(lfd, EPOLLIN);
  watch(ufd, EPOLLIN);
  watch(sfd, EPOLLIN);
  spdlog::info("echoing TCP and UDP on {}:{}", opt.listen, opt.port);

  std::unordered_map<int, Conn> conns;
  std::array<std::uint8_t, 65536> buf{};
  std::array<epoll_event, 64> events{};
  auto drop = [&](int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns.erase(fd);
  };
  auto flush = [&](int fd, Conn& c) {
    while (!c.pending.empty()) {
      ssize_t n = send(fd, c.pending.data(), c.pending.size(), MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
      c.pending.erase(c.pending.begin(), c.pending.begin() + n);
    }
    return true;
  };

  for (;;) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == sfd) {
        spdlog::info("stopping on signal");
        return {};
      }
      if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conns.emplace(c, Conn{});
          watch(c, EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP);
        }
        continue;
      }
      if (fd == ufd) {
        for (;;) {
          sockaddr_storage from{};
          socklen_t fl = sizeof from;
          ssize_t r = recvfrom(ufd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
          if (r < 0) break;
          sendto(ufd, buf.data(), static_cast<std::size_t>(r), 0, reinterpret_cast<sockaddr*>(&from), fl);
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      bool ok = flush(fd, it->second);
      while (ok) {
        ssize_t r = recv(fd, buf.data(), buf.size(), 0);
        if (r == 0) { ok = false; break; }
        if (r < 0) { ok = errno == EAGAIN || errno == EWOULDBLOCK; break; }
        it->second.pending.insert(it->second.pending.end(), buf.data(), buf.data() + r);
        ok = flush(fd, it->second);
      }
      if (!ok) drop(fd);
    }
  }
}

}  // namespace baton::probe
