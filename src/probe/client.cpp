#include "probe/client.hpp"

#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "probe/net.hpp"
#include "probe/pattern.hpp"
#include "probe/report_format.hpp"

namespace baton::probe {
namespace {

constexpr std::uint64_t kMaxOutstanding = 256 * 1024;  // bytes sent but not yet echoed

struct TcpConn {
  int fd = -1;
  std::uint64_t sent = 0;      // bytes written
  std::uint64_t verified = 0;  // echoed bytes checked
  bool alive = true;
};

Result<int> connect_tcp(const SockAddr& to, std::uint32_t conn) {
  int fd = socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return err("socket: {}", errno_text(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, to.get(), to.len) < 0) {
    int e = errno;
    close(fd);
    return err("TCP connection {} to the server failed: {}", conn, errno_text(e));
  }
  if (auto s = set_nonblocking(fd); !s) return s.error();
  return fd;
}

int make_timer(std::uint64_t period_ns) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  itimerspec its{};
  its.it_interval.tv_sec = static_cast<time_t>(period_ns / 1000000000u);
  its.it_interval.tv_nsec = static_cast<long>(period_ns % 1000000000u);
  its.it_value = its.it_interval;
  timerfd_settime(fd, 0, &its, nullptr);
  return fd;
}

std::uint64_t timer_expirations(int fd) {
  std::uint64_t n = 0;
  if (read(fd, &n, sizeof n) != sizeof n) return 0;
  return n;
}

Result<int> listen_control(const std::string& path) {
  sockaddr_un a{};
  if (path.size() >= sizeof a.sun_path) return err("--control {}: path too long", path);
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  unlink(path.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(fd, 8) < 0)
    return err("--control {}: cannot listen: {}", path, errno_text(errno));
  return fd;
}

class Client {
 public:
  Client(const ClientOptions& opt, const SockAddr& to, RealClock& clock)
      : opt_(opt), to_(to), clock_(clock), rec_(clock.now(), "start", opt.tcp) {}

  Result<std::vector<WindowReport>> run();

 private:
  void send_udp(std::uint64_t count);
  void read_udp();
  void write_tcp(std::uint32_t i);
  void read_tcp(std::uint32_t i);
  void fail_tcp(std::uint32_t i, int e, const std::string& why);
  // Handles one control connection; returns true if it asked the probe to stop.
  bool serve_control(int cfd);

  const ClientOptions& opt_;
  SockAddr to_;
  RealClock& clock_;
  Recorder rec_;
  std::vector<TcpConn> tcp_;
  int udp_ = -1;
  int ep_ = -1;
  std::uint64_t next_seq_ = 0;
  std::array<std::uint8_t, 65536> buf_{};
};

void Client::send_udp(std::uint64_t count) {
  for (std::uint64_t k = 0; k < count; ++k) {
    std::array<std::uint8_t, kUdpBytes> d{};
    std::uint64_t seq = next_seq_++;
    std::uint64_t t = static_cast<std::uint64_t>(clock_.now().time_since_epoch().count());
    std::memcpy(d.data(), &kUdpMagic, 4);
    std::memcpy(d.data() + 4, &seq, 8);
    std::memcpy(d.data() + 12, &t, 8);
    rec_.udp_sent(seq, clock_.now());
    send(udp_, d.data(), d.size(), MSG_DONTWAIT);  // a refused send is a lost datagram
  }
}

void Client::read_udp() {
  for (;;) {
    ssize_t n = recv(udp_, buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n < 0) return;
    std::uint32_t magic;
    std::uint64_t seq;
    if (static_cast<std::size_t>(n) != kUdpBytes) continue;
    std::memcpy(&magic, buf_.data(), 4);
    if (magic != kUdpMagic) continue;
    std::memcpy(&seq, buf_.data() + 4, 8);
    if (seq < next_seq_) rec_.udp_received(seq, clock_.now());
  }
}

void Client::fail_tcp(std::uint32_t i, int e, const std::string& why) {
  TcpConn& c = tcp_[i];
  if (!c.alive) return;
  c.alive = false;
  rec_.tcp_broken(i, e == ECONNRESET, why, clock_.now());
  epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  spdlog::warn("TCP connection {} broken: {}", i, why);
}

void Client::write_tcp(std::uint32_t i) {
  TcpConn& c = tcp_[i];
  if (!c.alive || c.sent - c.verified >= kMaxOutstanding) return;
  std::array<std::uint8_t, 4096> out{};
  std::size_t len = std::min<std::size_t>(opt_.tcp_chunk, out.size());
  for (std::size_t k = 0; k < len; ++k) out[k] = pattern_byte(i, c.sent + k);
  ssize_t n = send(c.fd, out.data(), len, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n > 0) c.sent += static_cast<std::uint64_t>(n);
  else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) fail_tcp(i, errno, errno_text(errno));
}

void Client::read_tcp(std::uint32_t i) {
  TcpConn& c = tcp_[i];
  while (c.alive) {
    ssize_t n = recv(c.fd, buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n == 0) return fail_tcp(i, 0, "closed by the peer");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      int e = errno;
      return fail_tcp(i, e, e == ECONNRESET ? "reset by peer" : errno_text(e));
    }
    for (ssize_t k = 0; k < n; ++k) {
      if (buf_[static_cast<std::size_t>(k)] != pattern_byte(i, c.verified)) {
        return fail_tcp(i, 0, "echoed byte stream differs at offset " + std::to_string(c.verified));
      }
      c.verified++;
    }
    if (c.verified > c.sent) return fail_tcp(i, 0, "more bytes echoed than sent");
    rec_.tcp_progress(i, clock_.now());
  }
}

bool Client::serve_control(int cfd) {
  // One short line per connection: "mark NAME", "report" or "stop".
  std::string line;
  pollfd p{cfd, POLLIN, 0};
  while (line.find('\n') == std::string::npos && line.size() < 512 && poll(&p, 1, 1000) > 0) {
    ssize_t n = read(cfd, buf_.data(), 512);
    if (n <= 0) break;
    line.append(reinterpret_cast<const char*>(buf_.data()), static_cast<std::size_t>(n));
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  std::string reply;
  bool stop = false;
  if (line.rfind("mark ", 0) == 0 && line.size() > 5) {
    rec_.mark(line.substr(5), clock_.now());
    reply = "ok\n";
  } else if (line == "report") {
    reply = to_json(rec_.report(clock_.now(), std::chrono::milliseconds(opt_.grace_ms))).dump() + "\n";
  } else if (line == "stop") {
    reply = "ok\n";
    stop = true;
  } else {
    reply = "error: unknown command '" + line + "' (expected: mark NAME, report, stop)\n";
  }
  (void)!write(cfd, reply.data(), reply.size());
  close(cfd);
  return stop;
}

Result<std::vector<WindowReport>> Client::run() {
  tcp_.resize(opt_.tcp);
  for (std::uint32_t i = 0; i < opt_.tcp; ++i) {
    auto fd = connect_tcp(to_, i);
    if (!fd) return fd.error();
    tcp_[i].fd = *fd;
  }
  udp_ = socket(to_.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (udp_ < 0 || connect(udp_, to_.get(), to_.len) < 0)
    return err("UDP socket to the server: {}", errno_text(errno));
  int ctl = -1;
  if (!opt_.control.empty()) {
    auto c = listen_control(opt_.control);
    if (!c) return c.error();
    ctl = *c;
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);

  int udp_timer = make_timer(1000000000ull / std::max<std::uint32_t>(1, opt_.udp_rate));
  int tcp_timer = make_timer(1000000ull * std::max<std::uint32_t>(1, opt_.tcp_interval_ms));
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  auto watch = [&](int fd, std::uint64_t tag) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = tag;
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &e);
  };
  constexpr std::uint64_t kUdpTimer = 1ull << 40, kTcpTimer = kUdpTimer + 1, kUdp = kUdpTimer + 2,
                          kCtl = kUdpTimer + 3, kSig = kUdpTimer + 4;
  watch(udp_timer, kUdpTimer);
  watch(tcp_timer, kTcpTimer);
  watch(udp_, kUdp);
  watch(sfd, kSig);
  if (ctl >= 0) watch(ctl, kCtl);
  for (std::uint32_t i = 0; i < opt_.tcp; ++i) watch(tcp_[i].fd, i);
  spdlog::info("probing: {} TCP connections, UDP at {}/s", opt_.tcp, opt_.udp_rate);

  TimePoint start = clock_.now();
  TimePoint stop_at = TimePoint::max();
  if (opt_.duration_s > 0)
    stop_at = start + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(opt_.duration_s));
  bool sending = true;
  TimePoint drain_until = TimePoint::max();
  TimePoint stopped = TimePoint::max();
  auto stop_sending = [&] {
    if (!sending) return;
    sending = false;
    stopped = clock_.now();
    drain_until = stopped + std::chrono::milliseconds(opt_.grace_ms);
  };
  std::array<epoll_event, 256> events{};
  for (;;) {
    TimePoint now = clock_.now();
    if (now >= stop_at) stop_sending();
    if (!sending && now >= drain_until) break;
    int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 5);
    for (int k = 0; k < n; ++k) {
      std::uint64_t tag = events[static_cast<std::size_t>(k)].data.u64;
      if (tag == kUdpTimer) {
        std::uint64_t due = timer_expirations(udp_timer);
        if (sending) send_udp(due);
      } else if (tag == kTcpTimer) {
        timer_expirations(tcp_timer);
        if (sending)
          for (std::uint32_t i = 0; i < opt_.tcp; ++i) write_tcp(i);
      } else if (tag == kUdp) {
        read_udp();
      } else if (tag == kSig) {
        signalfd_siginfo si;
        (void)!read(sfd, &si, sizeof si);
        stop_sending();
      } else if (tag == kCtl) {
        int cfd = accept4(ctl, nullptr, nullptr, SOCK_CLOEXEC);
        if (cfd >= 0 && serve_control(cfd)) stop_sending();
      } else if (tag < opt_.tcp) {
        read_tcp(static_cast<std::uint32_t>(tag));
      }
    }
  }
  // Report as of the moment sending stopped: echoes that came back while draining count as
  // received, and the drain itself is not a stall.
  auto out = rec_.report(stopped, Duration{0});
  for (auto& c : tcp_)
    if (c.alive) close(c.fd);
  close(udp_);
  if (ctl >= 0) {
    close(ctl);
    unlink(opt_.control.c_str());
  }
  return out;
}

}  // namespace

Result<std::vector<WindowReport>> run_client(const ClientOptions& opt) {
  auto to = parse_addr(opt.server, opt.port);
  if (!to) return err("--server: {}", to.error().message);
  RealClock clock;
  Client c(opt, *to, clock);
  return c.run();
}

}  // namespace baton::probe
