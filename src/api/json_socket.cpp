#include "api/json_socket.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

namespace baton::api {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty()) return err("socket path is empty");
  if (path.size() >= sizeof(sa.sun_path))
    return err("socket path {} is too long ({} bytes, at most {})", path, path.size(),
               sizeof(sa.sun_path) - 1);
  std::memcpy(sa.sun_path, path.data(), path.size());
  return sa;
}

// A socket file nobody listens on is stale; a listening one belongs to a running daemon.
bool someone_listens(const sockaddr_un& sa) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return live;
}

Status prepare_path(const std::string& path, const sockaddr_un& sa) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::path(path).parent_path();
  if (!dir.empty() && !fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return err("cannot create directory {} for socket: {}", dir.string(), ec.message());
  }
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return {};
  if (!S_ISSOCK(st.st_mode)) return err("{} exists and is not a socket; not replacing it", path);
  if (someone_listens(sa)) return err("{} is in use by a running process", path);
  if (::unlink(path.c_str()) != 0)
    return err("cannot remove stale socket {}: {}", path, std::strerror(errno));
  return {};
}

Status set_access(const std::string& path, const std::string& group) {
  if (group.empty()) {
    if (::chmod(path.c_str(), 0600) != 0) return err("chmod {}: {}", path, std::strerror(errno));
    return {};
  }
  errno = 0;
  struct group* g = ::getgrnam(group.c_str());
  if (g == nullptr) return err("api group \"{}\" does not exist", group);
  if (::chown(path.c_str(), 0, g->gr_gid) != 0)
    return err("chown {} to group {}: {}", path, group, std::strerror(errno));
  if (::chmod(path.c_str(), 0660) != 0) return err("chmod {}: {}", path, std::strerror(errno));
  return {};
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 100) <= 0) return false;  // a client that does not read loses its answer
      continue;
    }
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

json ok_reply(json result) { return json{{"ok", true}, {"result", std::move(result)}}; }
json error_reply(const std::string& message) { return json{{"ok", false}, {"error", message}}; }

Result<json> unwrap_reply(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return err("the answer is not JSON");
  if (!j.is_object() || !j.contains("ok") || !j["ok"].is_boolean())
    return err("the answer has no \"ok\" field");
  if (!j["ok"].get<bool>()) {
    if (j.contains("error") && j["error"].is_string()) return err("{}", j["error"].get<std::string>());
    return err("the daemon reported an error without a message");
  }
  if (!j.contains("result")) return err("the answer has no \"result\" field");
  return j["result"];
}

Result<std::unique_ptr<JsonServer>> JsonServer::open(const std::string& path,
                                                     const std::string& group, Watcher& watcher,
                                                     Handler handler) {
  auto sa = unix_address(path);
  if (!sa) return sa.error();
  if (auto s = prepare_path(path, *sa); !s) return s.error();
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return err("socket: {}", std::strerror(errno));
  // Created 0600 (umask), then opened up to the group if one is configured.
  mode_t old = ::umask(0177);
  int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&*sa), sizeof *sa);
  ::umask(old);
  if (rc != 0) {
    int e = errno;
    ::close(fd);
    return err("cannot bind API socket {}: {}", path, std::strerror(e));
  }
  if (auto s = set_access(path, group); !s) {
    ::close(fd);
    ::unlink(path.c_str());
    return s.error();
  }
  if (::listen(fd, 16) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return err("listen on {}: {}", path, std::strerror(e));
  }
  std::unique_ptr<JsonServer> server(new JsonServer(path, fd, watcher, std::move(handler)));
  JsonServer* self = server.get();
  if (auto s = watcher.watch(fd, [self] { self->on_accept(); }); !s) return s.error();
  return server;
}

JsonServer::~JsonServer() {
  while (!conns_.empty()) close_conn(conns_.begin()->first);
  if (fd_ >= 0) {
    watcher_.unwatch(fd_);
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

void JsonServer::expire_slow(Steady::time_point now) {
  for (auto it = conns_.begin(); it != conns_.end();) {
    int fd = it->first;
    bool old = now - it->second.started > kRequestTimeout;
    ++it;
    if (old) {
      ++refused_;
      answer(fd, error_reply("request not completed within 1 s"));
    }
  }
}

void JsonServer::on_accept() {
  for (;;) {
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        spdlog::warn("api {}: accept: {}", path_, std::strerror(errno));
      return;
    }
    auto now = Steady::now();
    expire_slow(now);
    Conn conn;
    conn.started = now;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      conn.caller = Caller{cred.uid, cred.gid, cred.pid};
    }
    if (conns_.size() >= kMaxConnections) {
      ++refused_;
      write_all(c, error_reply("too many API connections open; try again").dump() + "\n");
      ::close(c);
      continue;
    }
    conns_.emplace(c, std::move(conn));
    if (auto s = watcher_.watch(c, [this, c] { on_data(c); }); !s) {
      spdlog::warn("api {}: {}", path_, s.error().message);
      conns_.erase(c);
      ::close(c);
    }
  }
}

void JsonServer::on_data(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  Conn& conn = it->second;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {  // closed (or failed) before a whole request arrived
      close_conn(fd);
      return;
    }
    conn.buf.append(buf, static_cast<std::size_t>(n));
    auto nl = conn.buf.find('\n');
    if (nl == std::string::npos && conn.buf.size() <= kMaxRequestBytes) continue;
    if (nl == std::string::npos || nl > kMaxRequestBytes) {
      ++refused_;
      answer(fd, error_reply(fmt::format("request larger than {} bytes", kMaxRequestBytes)));
      return;
    }
    json req = json::parse(std::string_view(conn.buf).substr(0, nl), nullptr, false);
    if (req.is_discarded() || !req.is_object()) {
      ++refused_;
      answer(fd, error_reply("the request is not a JSON object"));
      return;
    }
    ++requests_;
    Caller caller = conn.caller;
    auto result = handler_(req, caller);
    answer(fd, result ? ok_reply(std::move(*result)) : error_reply(result.error().message));
    return;
  }
}

void JsonServer::answer(int fd, const json& reply) {
  write_all(fd, reply.dump() + "\n");
  close_conn(fd);
}

void JsonServer::close_conn(int fd) {
  watcher_.unwatch(fd);
  ::close(fd);
  conns_.erase(fd);
}

Result<json> call(const std::string& path, const json& request, std::chrono::milliseconds timeout) {
  auto sa = unix_address(path);
  if (!sa) return sa.error();
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return err("socket: {}", std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*sa), sizeof *sa) != 0)
    return err("cannot connect to {}: {}", path, std::strerror(errno));
  if (!write_all(fd, request.dump() + "\n")) return err("cannot send the request to {}", path);
  std::string line;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return err("no answer from {} within {} ms", path, timeout.count());
    if (n < 0) return err("reading the answer from {}: {}", path, std::strerror(errno));
    if (n == 0) break;
    line.append(buf, static_cast<std::size_t>(n));
    if (line.find('\n') != std::string::npos) break;
    if (line.size() > 16 * 1024 * 1024) return err("the answer from {} is too large", path);
  }
  if (line.empty()) return err("{} closed the connection without answering", path);
  return unwrap_reply(line.substr(0, line.find('\n')));
}

}  // namespace baton::api
