// One UDP endpoint of the control protocol (docs/protocols.md, "Control channel"): a socket,
// the Sender that numbers and signs what goes out and the Receiver that authenticates and
// replay-checks what comes in. batond has two: agents <-> orchestrator (control.port) and
// orchestrator <-> orchestrator (peer.port).
#pragma once

#include <sys/socket.h>

#include <functional>
#include <memory>
#include <string>

#include "auth/key.hpp"
#include "config/values.hpp"
#include "control/receiver.hpp"
#include "control/sender.hpp"
#include "core/watcher.hpp"

namespace baton::orchestrator {

struct Peer {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string text;  // "10.1.0.11:40123"
};

class Channel {
 public:
  using OnMessage = std::function<void(const control::Received&, const Peer& from)>;

  // Binds `local` (address "::" listens on every IPv4 and IPv6 address).
  static Result<std::unique_ptr<Channel>> open(const config::Endpoint& local, const auth::Key& key,
                                               std::uint32_t self_id, std::uint64_t epoch,
                                               Watcher& watcher, OnMessage on_message);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  Status send(const Peer& to, std::uint32_t recipient_id, std::uint64_t recipient_epoch,
              const control::Body& body);

  const control::Receiver& receiver() const { return receiver_; }
  std::uint64_t send_errors() const { return send_errors_; }
  std::uint64_t epoch() const { return sender_.epoch(); }
  std::uint32_t id() const { return sender_.id(); }

 private:
  Channel(int fd, const auth::Key& key, std::uint32_t self_id, std::uint64_t epoch, Watcher& w,
          OnMessage cb);
  void on_readable();

  int fd_ = -1;
  bool v6_socket_ = false;  // bound to an IPv6 address: IPv4 peers go as v4-mapped
  Watcher& watcher_;
  control::Sender sender_;
  control::Receiver receiver_;
  OnMessage on_message_;
  std::uint64_t send_errors_ = 0;
};

// "10.1.0.2:7701" from a configured endpoint, ready to send to.
Peer peer_of(const config::Endpoint& e);

}  // namespace baton::orchestrator
