#include "sync/conntrack/capture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <spdlog/spdlog.h>

#include "sync/conntrack/nfct.hpp"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace baton::sync::ct {

using detail::errno_text;

namespace {

constexpr std::size_t kBufBytes = 64 * 1024;  // larger than any event or dump datagram
constexpr std::size_t kMaxIpv4Filter = 127;
constexpr std::size_t kMaxIpv6Filter = 20;

struct FilterFree {
  void operator()(nfct_filter* f) const { nfct_filter_destroy(f); }
};

std::uint32_t host_word(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// Builds and attaches libnetfilter_conntrack's BPF filter: protocols (positive), the ignored
// addresses as original source or destination (negative). Addresses are given to it as host
// order 32-bit words.
Status attach_filter(int fd, const CaptureOptions& o) {
  std::unique_ptr<nfct_filter, FilterFree> f(nfct_filter_create());
  if (!f) return Error{errno_text("nfct_filter_create")};
  for (std::uint8_t p : o.protocols) nfct_filter_add_attr_u32(f.get(), NFCT_FILTER_L4PROTO, p);
  std::size_t v4 = 0, v6 = 0;
  for (const Address& a : o.ignore_addresses) {
    if (a.family == 4) {
      nfct_filter_ipv4 ip{host_word(a.bytes.data()), 0xffffffffU};
      nfct_filter_add_attr(f.get(), NFCT_FILTER_SRC_IPV4, &ip);
      nfct_filter_add_attr(f.get(), NFCT_FILTER_DST_IPV4, &ip);
      ++v4;
    } else {
      nfct_filter_ipv6 ip{};
      for (int i = 0; i < 4; ++i) {
        ip.addr[i] = host_word(a.bytes.data() + 4 * i);
        ip.mask[i] = 0xffffffffU;
      }
      nfct_filter_add_attr(f.get(), NFCT_FILTER_SRC_IPV6, &ip);
      nfct_filter_add_attr(f.get(), NFCT_FILTER_DST_IPV6, &ip);
      ++v6;
    }
  }
  if (v4 > kMaxIpv4Filter || v6 > kMaxIpv6Filter) {
    return err("conntrack event filter: {} IPv4 and {} IPv6 ignored addresses, at most {} and {}",
               v4, v6, kMaxIpv4Filter, kMaxIpv6Filter);
  }
  const std::pair<nfct_filter_attr, nfct_filter_logic> logic[] = {
      {NFCT_FILTER_L4PROTO, NFCT_FILTER_LOGIC_POSITIVE},
      {NFCT_FILTER_SRC_IPV4, NFCT_FILTER_LOGIC_NEGATIVE},
      {NFCT_FILTER_DST_IPV4, NFCT_FILTER_LOGIC_NEGATIVE},
      {NFCT_FILTER_SRC_IPV6, NFCT_FILTER_LOGIC_NEGATIVE},
      {NFCT_FILTER_DST_IPV6, NFCT_FILTER_LOGIC_NEGATIVE},
  };
  for (const auto& [attr, l] : logic) {
    if (nfct_filter_set_logic(f.get(), attr, l) < 0) {
      return Error{errno_text("nfct_filter_set_logic")};
    }
  }
  if (nfct_filter_attach(fd, f.get()) < 0) {
    return Error{errno_text("nfct_filter_attach (SO_ATTACH_FILTER on the conntrack event socket)")};
  }
  return {};
}

// net.netfilter.nf_conntrack_events of the current namespace: 0 off, 1 on, 2 on when a
// listener exists (the 6.x default); -1 if it cannot be read (module not loaded yet).
int events_sysctl() {
  std::ifstream in("/proc/sys/net/netfilter/nf_conntrack_events");
  int v = -1;
  if (!(in >> v)) return -1;
  return v;
}

}  // namespace

CaptureOptions::CaptureOptions()
    : protocols{IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP, IPPROTO_ICMPV6} {}

Result<Address> parse_address(std::string_view text) {
  const std::string s(text);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
    return a;
  }
  return err("'{}' is not an IPv4 or IPv6 address", text);
}

struct Capture::Sockets {
  detail::MnlPtr events;
  detail::MnlPtr dump;
};

Capture::Capture(std::unique_ptr<Sockets> s, CaptureOptions o, int rcvbuf)
    : sockets_(std::move(s)), options_(std::move(o)), rcvbuf_(rcvbuf), buf_(kBufBytes) {
  if (options_.protocols.empty()) {
    proto_wanted_.fill(true);
  } else {
    for (std::uint8_t p : options_.protocols) proto_wanted_[p] = true;
  }
}

Capture::Capture(Capture&&) noexcept = default;
Capture& Capture::operator=(Capture&&) noexcept = default;
Capture::~Capture() = default;

Result<Capture> Capture::open(CaptureOptions options) {
  if (events_sysctl() == 0) {
    return Error{"conntrack events are disabled in this network namespace "
                 "(net.netfilter.nf_conntrack_events = 0)"};
  }
  auto s = std::make_unique<Sockets>();
  auto ev = detail::open_netfilter_socket(NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_UPDATE |
                                          NF_NETLINK_CONNTRACK_DESTROY);
  if (!ev) return ev.error();
  s->events = std::move(*ev);
  const int fd = mnl_socket_get_fd(s->events.get());

  auto granted = detail::set_buffer(fd, true, options.rcvbuf_bytes);
  if (!granted) return granted.error();
  if (*granted < options.rcvbuf_bytes) {
    spdlog::warn("conntrack capture: receive buffer is {} bytes, {} asked (SO_RCVBUFFORCE refused; "
                 "raise net.core.rmem_max)", *granted, options.rcvbuf_bytes);
  }
  const int one = 1;
  if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one) < 0) {
    spdlog::warn("conntrack capture: {}; overruns will be reported as ENOBUFS",
                 errno_text("setsockopt(NETLINK_NO_ENOBUFS)"));
  }
  if (auto st = attach_filter(fd, options); !st) return st.error();
  const int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
    return Error{errno_text("fcntl(O_NONBLOCK) on the conntrack event socket")};
  }

  auto dump = detail::open_netfilter_socket(0);
  if (!dump) return dump.error();
  s->dump = std::move(*dump);
  spdlog::debug("conntrack capture: events on fd {} (portid {}), receive buffer {} bytes, {} "
                "protocols, {} ignored addresses",
                fd, mnl_socket_get_portid(s->events.get()), *granted, options.protocols.size(),
                options.ignore_addresses.size());
  const int rcvbuf = *granted;
  return Capture(std::move(s), std::move(options), rcvbuf);
}

std::size_t table_limit() {
  std::FILE* f = std::fopen("/proc/sys/net/netfilter/nf_conntrack_max", "re");
  if (f == nullptr) return 0;
  unsigned long long v = 0;
  const bool ok = std::fscanf(f, "%llu", &v) == 1;
  std::fclose(f);
  return ok ? static_cast<std::size_t>(v) : 0;
}

int Capture::fd() const { return mnl_socket_get_fd(sockets_->events.get()); }

void Capture::ignore_origin(std::uint32_t portid) { ignored_origins_.insert(portid); }

bool Capture::wanted(const Conn& c) const {
  if (!proto_wanted_[c.key.proto]) return false;
  for (const Address& a : options_.ignore_addresses) {
    if (a.family != c.key.family) continue;
    if (a.bytes == c.key.orig.src || a.bytes == c.key.orig.dst) return false;
  }
  return true;
}

Result<std::size_t> Capture::drain(const std::function<void(const Event&)>& fn,
                                   std::size_t max_events) {
  const int sock = fd();
  std::size_t delivered = 0;
  while (delivered < max_events) {
    const ssize_t n = recv(sock, buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        if (counters_.overruns++ == 0 || counters_.overruns % 1000 == 0) {
          spdlog::warn("conntrack capture: event socket overrun (ENOBUFS, {} so far): events "
                       "were lost, the table must be dumped again", counters_.overruns);
        }
        continue;
      }
      return Error{errno_text("recv(conntrack event socket)")};
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK) continue;
      Event ev;
      switch (nlh->nlmsg_type & 0xff) {
        case IPCTNL_MSG_CT_NEW:
          ev.kind = (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) != 0 ? EventKind::created
                                                                          : EventKind::updated;
          break;
        case IPCTNL_MSG_CT_DELETE:
          ev.kind = EventKind::destroyed;
          break;
        default:
          ++counters_.decode_errors;
          continue;
      }
      ev.origin_portid = nlh->nlmsg_pid;
      if (ignored_origins_.count(ev.origin_portid) != 0) {
        ++counters_.filtered;
        continue;
      }
      auto d = detail::decode(nlh);
      if (!d) {
        if (counters_.decode_errors++ == 0) {
          spdlog::warn("conntrack capture: undecodable event: {}", d.error().message);
        }
        continue;
      }
      ev.conn = d->conn;
      ev.has_timeout = d->has_timeout;
      ev.has_tcp_state = d->has_tcp_state;
      if (!wanted(ev.conn)) {
        ++counters_.filtered;
        continue;
      }
      switch (ev.kind) {
        case EventKind::created: ++counters_.created; break;
        case EventKind::updated: ++counters_.updated; break;
        case EventKind::destroyed: ++counters_.destroyed; break;
      }
      ++delivered;
      fn(ev);
    }
  }
  // The kernel counts what it could not queue even when it reports no ENOBUFS.
  std::uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t mem_len = sizeof mem;
  if (getsockopt(sock, SOL_SOCKET, SO_MEMINFO, mem, &mem_len) == 0 &&
      mem_len > sizeof(std::uint32_t) * SK_MEMINFO_DROPS && mem[SK_MEMINFO_DROPS] > lost_seen_) {
    const std::uint32_t now = mem[SK_MEMINFO_DROPS];
    if (counters_.lost == 0) {
      spdlog::warn("conntrack capture: the kernel dropped {} events (receive buffer full); the "
                   "table must be dumped again", now - lost_seen_);
    }
    counters_.lost += now - lost_seen_;
    lost_seen_ = now;
  }
  return delivered;
}

Result<std::size_t> Capture::dump(const std::function<void(const Conn&)>& fn) {
  mnl_socket* nl = sockets_->dump.get();
  const std::uint32_t seq = ++dump_seq_;
  nlmsghdr* req = detail::put_request(buf_.data(), IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq, AF_UNSPEC);
  if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
    return Error{errno_text("sendto(conntrack dump request)")};
  }
  const std::uint32_t portid = mnl_socket_get_portid(nl);
  std::size_t delivered = 0;
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{errno_text("recv(conntrack dump)")};
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_seq != seq || (nlh->nlmsg_pid != 0 && nlh->nlmsg_pid != portid)) continue;
      if (nlh->nlmsg_type == NLMSG_DONE) {
        counters_.dumped += delivered;
        return delivered;
      }
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (e->error != 0) return Error{errno_text("conntrack dump", -e->error)};
        continue;
      }
      auto d = detail::decode(nlh);
      if (!d) {
        if (counters_.decode_errors++ == 0) {
          spdlog::warn("conntrack capture: undecodable dump entry: {}", d.error().message);
        }
        continue;
      }
      if (!wanted(d->conn)) {
        ++counters_.filtered;
        continue;
      }
      ++delivered;
      fn(d->conn);
    }
  }
}

}  // namespace baton::sync::ct
