// A Watcher over poll(2) for tests: step() waits up to `timeout` and calls the handlers of
// the readable descriptors.
#pragma once

#include <poll.h>

#include <chrono>
#include <functional>
#include <map>
#include <vector>

#include "core/watcher.hpp"

namespace baton::testing {

class PollWatcher final : public Watcher {
 public:
  Status watch(int fd, std::function<void()> on_ready) override {
    handlers_[fd] = std::move(on_ready);
    return {};
  }
  void unwatch(int fd) override {
    auto it = handlers_.find(fd);
    if (it == handlers_.end()) return;
    retired_.push_back(std::move(it->second));
    handlers_.erase(it);
  }
  void step(std::chrono::milliseconds timeout) {
    std::vector<pollfd> fds;
    for (auto& [fd, h] : handlers_) fds.push_back(pollfd{fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), static_cast<int>(timeout.count())) > 0) {
      for (auto& p : fds) {
        auto it = handlers_.find(p.fd);
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && it != handlers_.end()) it->second();
      }
    }
    retired_.clear();
  }
  std::size_t watched() const { return handlers_.size(); }

 private:
  std::map<int, std::function<void()>> handlers_;
  std::vector<std::function<void()>> retired_;
};

}  // namespace baton::testing
