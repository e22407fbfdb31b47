// The I/O seam between a component that owns file descriptors (a socket server, a netlink
// listener) and the event loop that waits on them. A component registers what to call when
// a descriptor is readable and removes it before closing the descriptor.
#pragma once

#include <functional>

#include "core/result.hpp"

namespace baton {

class Watcher {
 public:
  virtual ~Watcher() = default;
  // Calls `on_ready` whenever `fd` is readable, until unwatch(fd).
  virtual Status watch(int fd, std::function<void()> on_ready) = 0;
  // Stops watching `fd`; safe to call from inside that descriptor's own handler.
  virtual void unwatch(int fd) = 0;
};

}  // namespace baton
