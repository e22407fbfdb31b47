// The daemons' local API transport (docs/api.md): a Unix stream socket, one JSON request per
// connection, one JSON answer, envelope {"ok":true,"result":...} / {"ok":false,"error":...}.
//
// JsonServer never blocks its loop: connections are read as they become readable, a request
// is answered when its newline arrives, and a connection that sends more than 64 KiB is
// answered with an error and closed. Unfinished requests older than a second are closed
// whenever a new connection arrives, and at most 32 connections are open at once, so a stuck
// client can neither block the loop nor pile up descriptors.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/watcher.hpp"

namespace baton::api {

inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;
inline constexpr std::chrono::milliseconds kRequestTimeout{1000};
inline constexpr std::size_t kMaxConnections = 32;

// Who is calling, from the socket's peer credentials (SO_PEERCRED).
struct Caller {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
};

// Returns the request's result, or an error whose message goes back to the client.
using Handler = std::function<Result<nlohmann::json>(const nlohmann::json& request, const Caller&)>;

class JsonServer {
 public:
  // Listens at `path`; a stale socket file there is replaced, any other file is an error.
  // `group` empty: root only (mode 0600); else group-owned by `group`, mode 0660. The
  // socket's directory is created (0755) if missing.
  static Result<std::unique_ptr<JsonServer>> open(const std::string& path, const std::string& group,
                                                  Watcher& watcher, Handler handler);
  ~JsonServer();  // closes every connection and removes the socket file
  JsonServer(const JsonServer&) = delete;
  JsonServer& operator=(const JsonServer&) = delete;

  const std::string& path() const { return path_; }
  std::uint64_t requests() const { return requests_; }
  std::uint64_t refused() const { return refused_; }  // oversized, timed out, not JSON

 private:
  struct Conn {
    std::string buf;
    Caller caller;
    std::chrono::steady_clock::time_point started;
  };
  JsonServer(std::string path, int fd, Watcher& w, Handler h)
      : path_(std::move(path)), fd_(fd), watcher_(w), handler_(std::move(h)) {}
  void on_accept();
  void on_data(int fd);
  void answer(int fd, const nlohmann::json& reply);
  void close_conn(int fd);
  void expire_slow(std::chrono::steady_clock::time_point now);

  std::string path_;
  int fd_ = -1;
  Watcher& watcher_;
  Handler handler_;
  std::map<int, Conn> conns_;
  std::uint64_t requests_ = 0;
  std::uint64_t refused_ = 0;
};

// Envelope helpers (also used by tests and tools that talk to the socket themselves).
nlohmann::json ok_reply(nlohmann::json result);
nlohmann::json error_reply(const std::string& message);
// Parses an answer line: the result, or an error from the envelope or its absence.
Result<nlohmann::json> unwrap_reply(std::string_view line);

// One request, one answer. Errors name the socket and what failed (connect, timeout, reply).
Result<nlohmann::json> call(const std::string& path, const nlohmann::json& request,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

}  // namespace baton::api
