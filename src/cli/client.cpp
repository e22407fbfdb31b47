#include "cli/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "api/json_socket.hpp"

namespace baton::cli {

namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Answer unreachable(std::string message, int sys_errno = 0) {
  return Answer{Answer::Kind::unreachable, nullptr, std::move(message), sys_errno};
}

// Milliseconds left until `deadline`, at least 0.
int left_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on fd until the deadline; false when the time is up.
bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, left_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the following call report the error
  }
}

}  // namespace

Answer ask(const std::string& socket, const nlohmann::json& request,
           std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (socket.empty()) return unreachable("the socket path is empty");
  if (socket.size() >= sizeof sa.sun_path)
    return unreachable(fmt::format("socket path {} is too long ({} bytes, at most {})", socket,
                                   socket.size(), sizeof sa.sun_path - 1));
  std::memcpy(sa.sun_path, socket.data(), socket.size());
  Fd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (fd.fd < 0) return unreachable(fmt::format("socket: {}", std::strerror(errno)));
  // A Unix connect blocks only while the listener's backlog is full; SO_SNDTIMEO bounds that
  // wait and the send; poll() bounds the wait for the answer.
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd.fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    if (e == EAGAIN || e == EINPROGRESS)
      return unreachable(fmt::format("cannot connect to {}: no connection within {} ms", socket,
                                     timeout.count()),
                         e);
    return unreachable(fmt::format("cannot connect to {}: {}", socket, std::strerror(e)), e);
  }
  std::string out = request.dump() + "\n";
  std::size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd.fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return unreachable(fmt::format("cannot send the request to {} within {} ms", socket,
                                     timeout.count()));
    return unreachable(fmt::format("cannot send the request to {}: {}", socket,
                                   n < 0 ? std::strerror(errno) : "nothing sent"));
  }
  std::string line;
  char buf[4096];
  while (line.find('\n') == std::string::npos) {
    if (!wait_for(fd.fd, POLLIN, deadline))
      return unreachable(fmt::format("no answer from {} within {} ms", socket, timeout.count()));
    ssize_t n = ::recv(fd.fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n < 0)
      return unreachable(fmt::format("reading the answer from {}: {}", socket,
                                     std::strerror(errno)));
    if (n == 0) break;
    line.append(buf, static_cast<std::size_t>(n));
    if (line.size() > 16 * 1024 * 1024)
      return Answer{Answer::Kind::error, nullptr,
                    fmt::format("the answer from {} is larger than 16 MiB", socket), 0};
  }
  if (line.empty())
    return unreachable(fmt::format("{} closed the connection without answering", socket));
  auto r = api::unwrap_reply(std::string_view(line).substr(0, line.find('\n')));
  if (!r) return Answer{Answer::Kind::error, nullptr, r.error().message, 0};
  return Answer{Answer::Kind::result, std::move(*r), {}, 0};
}

}  // namespace baton::cli
