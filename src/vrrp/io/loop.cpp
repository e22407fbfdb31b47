#include "vrrp/io/loop.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace baton::vrrp::io {

Result<Loop> Loop::create() {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return err("epoll_create1: {}", std::strerror(errno));
  return Loop(fd);
}

Loop::Loop(Loop&& o) noexcept
    : epfd_(o.epfd_), clock_(std::move(o.clock_)), handlers_(std::move(o.handlers_)),
      stopping_(o.stopping_), stats_(o.stats_) {
  o.epfd_ = -1;
}

Loop::~Loop() {
  if (epfd_ >= 0) ::close(epfd_);
}

Status Loop::watch(int fd, std::function<void()> on_ready) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    return err("epoll_ctl add fd {}: {}", fd, std::strerror(errno));
  handlers_[fd] = std::make_shared<std::function<void()>>(std::move(on_ready));
  return {};
}

void Loop::unwatch(int fd) {
  if (handlers_.erase(fd) == 0) return;
  (void)::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

Status Loop::run() {
  constexpr int kMaxEvents = 16;
  epoll_event events[kMaxEvents];
  while (!stopping_) {
    auto deadline = clock_.next_deadline();
    timespec ts{};
    timespec* timeout = nullptr;
    if (deadline) {
      auto wait = *deadline - clock_.now();
      if (wait < Duration{0}) wait = Duration{0};
      auto ns = wait.count();
      ts.tv_sec = ns / 1'000'000'000;
      ts.tv_nsec = ns % 1'000'000'000;
      timeout = &ts;
    }
    int n = ::epoll_pwait2(epfd_, events, kMaxEvents, timeout, nullptr);
    if (n < 0 && errno != EINTR) return err("epoll_pwait2: {}", std::strerror(errno));
    ++stats_.iterations;
    if (deadline) {
      Duration late = clock_.now() - *deadline;
      if (late > stats_.max_lateness) stats_.max_lateness = late;
      if (late > std::chrono::milliseconds(1)) ++stats_.late_1ms;
    }
    for (int i = 0; i < n; ++i) {
      auto it = handlers_.find(events[i].data.fd);
      if (it == handlers_.end()) continue;  // unwatched by an earlier handler
      auto handler = it->second;            // keeps it alive if it unwatches itself
      (*handler)();
    }
    clock_.run_due();
  }
  return {};
}

}  // namespace baton::vrrp::io
