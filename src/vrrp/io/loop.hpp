// The daemon's event loop: epoll over file descriptors, timers from a RealClock, and a
// record of how late the loop woke (scheduling stalls).
//
// One iteration: wait until the earliest timer deadline (nanosecond timeout, epoll_pwait2)
// or a readable fd; call the ready fds' handlers first (so packets that arrived during a
// stall are seen before a detector's deadline is judged), then the due timers.
//
// Several components can share one Loop (batond runs its VRRP Service in its own loop):
// each watches its own fds and arms its own timers, and unwatches / cancels them when it
// goes away.
#pragma once

#include <functional>
#include <map>
#include <memory>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/watcher.hpp"

namespace baton::vrrp::io {

struct LoopStats {
  std::uint64_t iterations = 0;
  Duration max_lateness{0};    // worst wake-up after a timer's deadline
  std::uint64_t late_1ms = 0;  // wake-ups more than 1 ms late
};

class Loop final : public Watcher {
 public:
  static Result<Loop> create();
  Loop(Loop&&) noexcept;
  Loop& operator=(Loop&&) = delete;
  ~Loop();

  RealClock& clock() { return clock_; }
  // Calls `on_ready` whenever `fd` is readable.
  Status watch(int fd, std::function<void()> on_ready) override;
  // Stops watching `fd` (call before closing it); safe from inside any handler, the fd's
  // own included: a handler unwatched during an iteration is not called again.
  void unwatch(int fd) override;
  // Runs until stop(); an error from epoll ends it.
  Status run();
  void stop() { stopping_ = true; }
  const LoopStats& stats() const { return stats_; }

 private:
  explicit Loop(int epfd) : epfd_(epfd) {}
  int epfd_ = -1;
  RealClock clock_;
  std::map<int, std::shared_ptr<std::function<void()>>> handlers_;
  bool stopping_ = false;
  LoopStats stats_;
};

}  // namespace baton::vrrp::io
