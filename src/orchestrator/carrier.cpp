#include "orchestrator/carrier.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace baton::orchestrator {

namespace {

template <typename T>
T read_at(std::span<const std::uint8_t> b, std::size_t at) {
  T v;
  std::memcpy(&v, b.data() + at, sizeof v);
  return v;
}

constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// The link message at `body` (after the netlink header): its name and carrier.
Result<LinkEvent> parse_link(std::span<const std::uint8_t> body, bool removed, std::size_t at) {
  if (body.size() < sizeof(ifinfomsg))
    return err("link message at offset {}: {} bytes, shorter than its ifinfomsg ({})", at,
               body.size(), sizeof(ifinfomsg));
  auto info = read_at<ifinfomsg>(body, 0);
  LinkEvent e;
  e.removed = removed;
  e.carrier = !removed && (info.ifi_flags & IFF_LOWER_UP) != 0;
  std::size_t off = align4(sizeof(ifinfomsg));
  while (off + sizeof(rtattr) <= body.size()) {
    auto a = read_at<rtattr>(body, off);
    if (a.rta_len < sizeof(rtattr) || off + a.rta_len > body.size())
      return err("link message at offset {}: attribute at {} has length {} ({} bytes left)", at,
                 off, a.rta_len, body.size() - off);
    if (a.rta_type == IFLA_IFNAME) {
      std::size_t n = a.rta_len - sizeof(rtattr);
      const auto* s = reinterpret_cast<const char*>(body.data() + off + sizeof(rtattr));
      std::size_t len = strnlen(s, n);
      if (len == 0 || len >= IFNAMSIZ)
        return err("link message at offset {}: interface name of {} bytes", at, len);
      e.ifname.assign(s, len);
    }
    off += align4(a.rta_len);
  }
  if (e.ifname.empty()) return err("link message at offset {}: no interface name", at);
  return e;
}

// Opens a NETLINK_ROUTE socket in the network namespace `netns` (empty: ours). A socket
// stays in the namespace it was created in, so only its creation happens over there.
Result<int> route_socket_in(const std::string& netns) {
  int here = -1, there = -1;
  if (!netns.empty()) {
    here = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (here < 0) return err("cannot open our network namespace: {}", std::strerror(errno));
    std::string path = "/run/netns/" + netns;
    there = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (there < 0) {
      int e = errno;
      ::close(here);
      return err("network namespace {} ({}): {}", netns, path, std::strerror(e));
    }
    if (::setns(there, CLONE_NEWNET) != 0) {
      int e = errno;
      ::close(here);
      ::close(there);
      return err("cannot enter network namespace {}: {}", netns, std::strerror(e));
    }
  }
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  int sock_errno = errno;
  if (here >= 0) {
    if (::setns(here, CLONE_NEWNET) != 0)  // cannot happen for our own namespace; be loud
      spdlog::critical("cannot return to our network namespace: {}", std::strerror(errno));
    ::close(here);
    ::close(there);
  }
  if (fd < 0) return err("rtnetlink socket: {}", std::strerror(sock_errno));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    ::close(fd);
    return err("rtnetlink bind to link notifications: {}", std::strerror(e));
  }
  int size = 1 << 20;
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return fd;
}

}  // namespace

Result<std::vector<LinkEvent>> parse_link_messages(std::span<const std::uint8_t> bytes) {
  std::vector<LinkEvent> out;
  std::size_t at = 0;
  while (at + sizeof(nlmsghdr) <= bytes.size()) {
    auto h = read_at<nlmsghdr>(bytes, at);
    if (h.nlmsg_len < sizeof(nlmsghdr) || at + h.nlmsg_len > bytes.size())
      return err("netlink message at offset {}: length {} ({} bytes left)", at, h.nlmsg_len,
                 bytes.size() - at);
    if (h.nlmsg_type == RTM_NEWLINK || h.nlmsg_type == RTM_DELLINK) {
      auto e = parse_link(bytes.subspan(at + sizeof(nlmsghdr), h.nlmsg_len - sizeof(nlmsghdr)),
                          h.nlmsg_type == RTM_DELLINK, at);
      if (!e) return e.error();
      out.push_back(std::move(*e));
    }
    at += align4(h.nlmsg_len);
  }
  if (at < bytes.size())
    return err("{} bytes after the last netlink message at offset {}", bytes.size() - at, at);
  return out;
}

Result<std::unique_ptr<CarrierWatch>> CarrierWatch::open(Watcher& loop, const std::string& netns,
                                                          std::set<std::string> ports,
                                                          OnChange on_change) {
  auto fd = route_socket_in(netns);
  if (!fd) return fd.error();
  std::unique_ptr<CarrierWatch> w(
      new CarrierWatch(loop, *fd, netns, std::move(ports), std::move(on_change)));
  if (auto s = loop.watch(*fd, [p = w.get()] { p->on_readable(); }); !s)
    return err("carrier watch: {}", s.error().message);
  if (auto s = w->request_dump(); !s) return s.error();
  return w;
}

CarrierWatch::CarrierWatch(Watcher& loop, int fd, std::string netns, std::set<std::string> ports,
                           OnChange on_change)
    : loop_(loop), fd_(fd), netns_(std::move(netns)), ports_(std::move(ports)),
      on_change_(std::move(on_change)) {}

CarrierWatch::~CarrierWatch() {
  if (fd_ >= 0) {
    loop_.unwatch(fd_);
    ::close(fd_);
  }
}

Status CarrierWatch::request_dump() {
  struct {
    nlmsghdr h;
    ifinfomsg i;
  } req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = RTM_GETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = ++dump_seq_;
  req.i.ifi_family = AF_UNSPEC;
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  if (::sendto(fd_, &req, sizeof req, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return err("carrier watch: link dump request: {}", std::strerror(errno));
  return {};
}

std::optional<bool> CarrierWatch::carrier(const std::string& port) const {
  auto it = carrier_.find(port);
  if (it == carrier_.end()) return std::nullopt;
  return it->second;
}

void CarrierWatch::apply(const LinkEvent& e) {
  if (!ports_.contains(e.ifname)) return;
  auto it = carrier_.find(e.ifname);
  bool first = it == carrier_.end();
  if (!first && it->second == e.carrier) return;
  carrier_[e.ifname] = e.carrier;
  if (first && e.carrier) return;  // found with carrier: nothing to report
  on_change_(e.ifname, e.carrier);
}

void CarrierWatch::on_readable() {
  alignas(nlmsghdr) std::array<std::uint8_t, 64 * 1024> buf;
  for (;;) {
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      ++errors_;
      if (errno == ENOBUFS) {  // notifications were lost: read the whole state again
        spdlog::warn("carrier watch{}: link notifications lost (ENOBUFS); reading every link "
                     "again", netns_.empty() ? "" : " in " + netns_);
        if (auto s = request_dump(); !s) spdlog::error("{}", s.error().message);
        continue;
      }
      spdlog::error("carrier watch: recv: {}", std::strerror(errno));
      return;
    }
    auto bytes = std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n));
    auto events = parse_link_messages(bytes);
    if (!events) {
      ++errors_;
      spdlog::error("carrier watch: {}", events.error().message);
      continue;
    }
    for (const auto& e : *events) apply(e);
    // The end of our dump: every port that exists has been seen.
    for (std::size_t at = 0; at + sizeof(nlmsghdr) <= bytes.size();) {
      auto h = read_at<nlmsghdr>(bytes, at);
      if (h.nlmsg_type == NLMSG_DONE && h.nlmsg_seq == dump_seq_ && !dumped_) {
        dumped_ = true;
        for (const auto& p : ports_) {
          if (carrier_.contains(p)) continue;
          missing_.push_back(p);
          spdlog::warn("member port {} not found in {}: its carrier is not watched (check "
                       "members[].ports)", p, netns_.empty() ? "our namespace" : "network namespace " + netns_);
        }
      }
      if (h.nlmsg_len < sizeof(nlmsghdr)) break;
      at += align4(h.nlmsg_len);
    }
  }
}

}  // namespace baton::orchestrator
