// HyperSync's kernel adapter against the real kernel, each test in network namespaces of its
// own (root needed; skipped with the reason otherwise).
//   Lifecycle        a real TCP connection: created -> updated (ESTABLISHED) -> destroyed
//   Filter           ignored local addresses and protocols produce no event (kernel filter)
//   InstallGet       entries installed (TCP, UDP, ICMP, IPv6, zone) read back identical
//   UpsertRemove     upsert over an existing entry replaces it; remove; remove of a missing
//   InstalledEvents  whether installing over ctnetlink produces events, and their origin
//   GatewayFailover  the proof: a stateful gateway drops a mid-stream segment of a connection
//                    it does not know, and forwards it once the state captured on the other
//                    gateway is installed; the connection survives the route switch
//   Batch10k         10 000 entries install in batches and dump back complete
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstring>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "netns.hpp"
#include "sync/conntrack/capture.hpp"
#include "sync/conntrack/install.hpp"

namespace baton::sync::ct {
namespace {

using baton::testing::Lab;
using Clock = std::chrono::steady_clock;

// Kernel values (linux/netfilter/nf_conntrack_{common,tcp}.h), spelled out here so the test
// does not include the C library headers.
constexpr std::uint32_t kSeenReply = 1U << 1;
constexpr std::uint32_t kAssured = 1U << 2;
constexpr std::uint32_t kConfirmed = 1U << 3;
constexpr std::uint32_t kExpected = 1U << 0;
constexpr std::uint32_t kSrcNat = 1U << 4;
constexpr std::uint32_t kSeqAdjust = 1U << 6;
constexpr std::uint32_t kSrcNatDone = 1U << 7;
constexpr std::uint32_t kDying = 1U << 9;
constexpr std::uint32_t kOffload = 1U << 14;
constexpr std::uint8_t kSynSent = 1;
constexpr std::uint8_t kEstablished = 3;

std::array<std::uint8_t, 16> ip(const char* text) {
  auto a = parse_address(text);
  if (!a) panic("bad address in test");
  return a->bytes;
}

Tuple tuple(const char* src, const char* dst, std::uint16_t sport, std::uint16_t dport) {
  Tuple t;
  t.src = ip(src);
  t.dst = ip(dst);
  t.sport = sport;
  t.dport = dport;
  return t;
}

Tuple reversed(const Tuple& t) {
  Tuple r;
  r.src = t.dst;
  r.dst = t.src;
  r.sport = t.dport;
  r.dport = t.sport;
  return r;
}

Conn tcp_conn(const char* src, const char* dst, std::uint16_t sport, std::uint16_t dport,
              std::uint8_t family = 4) {
  Conn c;
  c.key.family = family;
  c.key.proto = IPPROTO_TCP;
  c.key.orig = tuple(src, dst, sport, dport);
  c.reply = reversed(c.key.orig);
  c.status = kSeenReply | kAssured | kConfirmed;
  c.timeout_s = 300;
  c.tcp_state = kEstablished;
  return c;
}

// Opens something in namespace `name` (sockets stay in the namespace they were opened in).
template <typename T, typename F>
Result<T> open_in(const Lab& lab, std::string_view name, F&& fn) {
  std::optional<Result<T>> r;
  if (auto s = lab.in_netns(name, [&] { r.emplace(fn()); }); !s) return s.error();
  return std::move(*r);
}

// "tcp_state=3 ..." for failure messages.
std::string show(const Conn& c) {
  return fmt::format("{} reply-sport {} status {:#x} timeout {} mark {:#x} zone {} tcp_state {}",
                     to_string(c.key), c.reply.sport, c.status, c.timeout_s, c.mark, c.zone,
                     c.tcp_state);
}

class FdGuard {
 public:
  explicit FdGuard(int fd = -1) : fd_(fd) {}
  FdGuard(FdGuard&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FdGuard& operator=(FdGuard&& o) noexcept {
    reset();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~FdGuard() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

sockaddr_in sin(const char* addr, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, addr, &a.sin_addr);
  return a;
}

Result<int> tcp_listen(const char* addr, std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return err("socket: {}", std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto a = sin(addr, port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(fd, 16) < 0) {
    const int e = errno;
    ::close(fd);
    return err("bind/listen {}:{}: {}", addr, port, std::strerror(e));
  }
  return fd;
}

// Connects from `src` (port chosen by the kernel) to dst:port; 3 s timeouts on everything.
Result<int> tcp_connect(const char* src, const char* dst, std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return err("socket: {}", std::strerror(errno));
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto s = sin(src, 0);
  auto d = sin(dst, port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&s), sizeof s) < 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&d), sizeof d) < 0) {
    const int e = errno;
    ::close(fd);
    return err("connect {} -> {}:{}: {}", src, dst, port, std::strerror(e));
  }
  return fd;
}

std::uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// Reads exactly n bytes or fails (timeout from SO_RCVTIMEO, or `timeout_ms` if given).
std::string read_n(int fd, std::size_t n, int timeout_ms = -1) {
  if (timeout_ms >= 0) {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  std::string out;
  char buf[256];
  while (out.size() < n) {
    const ssize_t r = recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (r <= 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  return out;
}

// Echo server: accepts one connection and echoes until EOF, on its own thread.
class EchoServer {
 public:
  explicit EchoServer(int listen_fd) : listen_(listen_fd) {
    thread_ = std::thread([this] {
      FdGuard c(accept(listen_.get(), nullptr, nullptr));
      if (c.get() < 0) return;
      char buf[512];
      for (;;) {
        const ssize_t r = recv(c.get(), buf, sizeof buf, 0);
        if (r <= 0) return;
        if (send(c.get(), buf, static_cast<std::size_t>(r), MSG_NOSIGNAL) != r) return;
      }
    });
  }
  ~EchoServer() {
    shutdown(listen_.get(), SHUT_RDWR);
    thread_.join();
  }

 private:
  FdGuard listen_;
  std::thread thread_;
};

// Nft ruleset that makes conntrack track everything in the namespace (any ct expression
// registers the conntrack hooks), plus what the caller adds.
constexpr const char* kTrackAll =
    "nft add table inet t && "
    "nft add chain inet t out '{ type filter hook output priority 0; }' && "
    "nft add rule inet t out ct state new counter";

class ConntrackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = baton::testing::netns_unavailable()) GTEST_SKIP() << *why;
    if (!baton::testing::have_program("/usr/sbin/nft")) GTEST_SKIP() << "nft is not installed";
    auto lab = Lab::create();
    ASSERT_TRUE(lab.ok()) << lab.error().message;
    lab_.emplace(std::move(lab).value());
    ASSERT_TRUE(lab_->add_netns("probe").ok());
    auto c = open_in<Capture>(*lab_, "probe", [] { return Capture::open(); });
    if (!c) GTEST_SKIP() << "conntrack over netlink is unavailable: " << c.error().message;
  }

  Capture capture(std::string_view ns, CaptureOptions o = {}) {
    auto c = open_in<Capture>(*lab_, ns, [&] { return Capture::open(o); });
    if (!c) panic(c.error().message.c_str());
    return std::move(*c);
  }
  Installer installer(std::string_view ns) {
    auto i = open_in<Installer>(*lab_, ns, [] { return Installer::open(); });
    if (!i) panic(i.error().message.c_str());
    return std::move(*i);
  }
  void must(std::string_view ns, const std::string& cmd) {
    auto s = lab_->must(ns, cmd);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  std::optional<Lab> lab_;
};

// Drains `cap` into `out` until `done(out)` or `timeout`; between drains calls `tick` (e.g.
// a dump that makes the kernel reap expired entries).
template <typename Done>
bool collect(Capture& cap, std::vector<Event>& out, Done done, std::chrono::milliseconds timeout,
             const std::function<void()>& tick = {}) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    auto n = cap.drain([&](const Event& e) { out.push_back(e); });
    if (!n) {
      ADD_FAILURE() << n.error().message;
      return false;
    }
    if (done(out)) return true;
    if (tick) tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done(out);
}

TEST_F(ConntrackTest, Lifecycle) {
  ASSERT_TRUE(lab_->add_netns("a").ok());
  must("a", kTrackAll);
  // After the RST below the entry is in CLOSE; make that last one second.
  must("a", "sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_close=1");
  Capture cap = capture("a");

  auto lfd = open_in<int>(*lab_, "a", [] { return tcp_listen("127.0.0.1", 7001); });
  ASSERT_TRUE(lfd.ok()) << lfd.error().message;
  FdGuard listener(*lfd);
  auto cfd = open_in<int>(*lab_, "a", [] { return tcp_connect("127.0.0.1", "127.0.0.1", 7001); });
  ASSERT_TRUE(cfd.ok()) << cfd.error().message;
  FdGuard client(*cfd);
  FdGuard server(accept(listener.get(), nullptr, nullptr));
  ASSERT_GE(server.get(), 0);
  ASSERT_EQ(send(client.get(), "x", 1, 0), 1);
  ASSERT_EQ(read_n(server.get(), 1, 2000), "x");

  ConnKey key;
  key.family = 4;
  key.proto = IPPROTO_TCP;
  key.orig = tuple("127.0.0.1", "127.0.0.1", local_port(client.get()), 7001);
  auto mine = [&](const Event& e) { return e.conn.key == key; };

  std::vector<Event> seen;
  ASSERT_TRUE(collect(cap, seen, [&](const std::vector<Event>& v) {
    for (const Event& e : v) {
      if (mine(e) && e.kind == EventKind::updated && e.conn.tcp_state == kEstablished) return true;
    }
    return false;
  }, std::chrono::seconds(5))) << "no ESTABLISHED update";

  // Abort the connection: RST puts the entry in CLOSE (1 s here); a dump makes the kernel
  // reap it once expired, which sends the DESTROY event.
  linger lg{1, 0};
  setsockopt(client.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  client.reset();
  ASSERT_TRUE(collect(cap, seen, [&](const std::vector<Event>& v) {
    for (const Event& e : v) if (mine(e) && e.kind == EventKind::destroyed) return true;
    return false;
  }, std::chrono::seconds(20), [&] { (void)cap.dump([](const Conn&) {}); })) << "no DESTROY";

  std::vector<const Event*> ours;
  for (const Event& e : seen) if (mine(e)) ours.push_back(&e);
  ASSERT_GE(ours.size(), 3U);
  const Event& created = *ours.front();
  EXPECT_EQ(created.kind, EventKind::created);
  EXPECT_EQ(created.conn.tcp_state, kSynSent);
  EXPECT_TRUE(created.has_timeout);
  EXPECT_GT(created.conn.timeout_s, 100U);  // SYN_SENT: 120 s
  EXPECT_LE(created.conn.timeout_s, 120U);
  EXPECT_EQ(created.conn.reply, reversed(key.orig));
  EXPECT_EQ(created.origin_portid, 0U);

  const Event* est = nullptr;
  for (const Event* e : ours) {
    if (e->kind == EventKind::updated && e->conn.tcp_state == kEstablished) est = e;
  }
  ASSERT_NE(est, nullptr);
  EXPECT_TRUE(est->has_timeout);
  EXPECT_GT(est->conn.timeout_s, 400000U);  // ESTABLISHED: 5 days
  EXPECT_NE(est->conn.status & kSeenReply, 0U) << show(est->conn);
  EXPECT_NE(est->conn.status & kAssured, 0U) << show(est->conn);
  EXPECT_EQ(est->conn.reply, reversed(key.orig));

  const Event& destroyed = *ours.back();
  EXPECT_EQ(destroyed.kind, EventKind::destroyed);
  EXPECT_FALSE(destroyed.has_timeout);
  EXPECT_EQ(destroyed.conn.reply, reversed(key.orig));
  RecordProperty("destroy_has_tcp_state", destroyed.has_tcp_state ? "yes" : "no");
  for (const Event* e : ours) {
    std::printf("  event %d %s has_timeout=%d has_tcp_state=%d\n", static_cast<int>(e->kind),
                show(e->conn).c_str(), e->has_timeout, e->has_tcp_state);
  }
  EXPECT_EQ(cap.counters().decode_errors, 0U);
  EXPECT_EQ(cap.counters().lost, 0U);
}

TEST_F(ConntrackTest, Filter) {
  ASSERT_TRUE(lab_->add_netns("b").ok());
  must("b", kTrackAll);
  CaptureOptions ignoring;
  ignoring.ignore_addresses = {*parse_address("127.0.0.2"), *parse_address("2001:db8::1")};
  Capture cap = capture("b", ignoring);
  CaptureOptions tcp_only;
  tcp_only.protocols = {IPPROTO_TCP};
  Capture cap_tcp = capture("b", tcp_only);

  // A connection to the ignored address, then one to another local address.
  std::vector<FdGuard> fds;
  for (const char* dst : {"127.0.0.2", "127.0.0.3"}) {
    auto l = open_in<int>(*lab_, "b", [&] { return tcp_listen(dst, 7002); });
    ASSERT_TRUE(l.ok()) << l.error().message;
    fds.emplace_back(*l);
    auto c = open_in<int>(*lab_, "b", [&] { return tcp_connect("127.0.0.1", dst, 7002); });
    ASSERT_TRUE(c.ok()) << c.error().message;
    fds.emplace_back(*c);
  }
  // A UDP datagram: reported by `cap` (all protocols), not by `cap_tcp`.
  ASSERT_TRUE(lab_->in_netns("b", [&] {
    FdGuard u(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    auto d = sin("127.0.0.3", 7003);
    (void)sendto(u.get(), "u", 1, 0, reinterpret_cast<sockaddr*>(&d), sizeof d);
  }).ok());

  const auto dst3 = ip("127.0.0.3"), dst2 = ip("127.0.0.2");
  std::vector<Event> seen, seen_tcp;
  auto has_udp = [&](const std::vector<Event>& v) {
    for (const Event& e : v) if (e.conn.key.proto == IPPROTO_UDP) return true;
    return false;
  };
  auto has_est3 = [&](const std::vector<Event>& v) {
    for (const Event& e : v) {
      if (e.conn.key.orig.dst == dst3 && e.conn.tcp_state == kEstablished) return true;
    }
    return false;
  };
  ASSERT_TRUE(collect(cap, seen, [&](const auto& v) { return has_est3(v) && has_udp(v); },
                      std::chrono::seconds(5)));
  ASSERT_TRUE(collect(cap_tcp, seen_tcp, has_est3, std::chrono::seconds(5)));
  for (const Event& e : seen) {
    EXPECT_NE(e.conn.key.orig.dst, dst2) << "event for an ignored address: " << show(e.conn);
    EXPECT_NE(e.conn.key.orig.src, dst2) << show(e.conn);
  }
  EXPECT_FALSE(has_udp(seen_tcp));
  // The filter ran in the kernel: nothing reached user space to be dropped there.
  EXPECT_EQ(cap.counters().filtered, 0U);
  EXPECT_EQ(cap_tcp.counters().filtered, 0U);
  EXPECT_EQ(cap.counters().lost, 0U);

  // The dump applies the same filter in user space.
  std::size_t to3 = 0, to2 = 0;
  ASSERT_TRUE(cap.dump([&](const Conn& c) {
    if (c.key.orig.dst == dst3) ++to3;
    if (c.key.orig.dst == dst2) ++to2;
  }).ok());
  EXPECT_GE(to3, 1U);
  EXPECT_EQ(to2, 0U);
  EXPECT_GE(cap.counters().filtered, 1U);
}

TEST_F(ConntrackTest, InstallGet) {
  ASSERT_TRUE(lab_->add_netns("c").ok());
  Installer ins = installer("c");

  std::vector<Conn> conns;
  Conn tcp = tcp_conn("10.0.0.1", "10.0.0.2", 40000, 80);
  tcp.mark = 0x42;
  // Bits the sender's kernel owns: the kernel refuses EXPECTED with EBUSY (checked on 6.18),
  // the others describe the sender's own data path. The installer leaves them out.
  tcp.status |= kExpected | kDying | kSeqAdjust | kOffload | kSrcNatDone;
  conns.push_back(tcp);
  Conn udp;
  udp.key.proto = IPPROTO_UDP;
  udp.key.orig = tuple("10.0.0.1", "10.0.0.2", 5353, 53);
  udp.reply = reversed(udp.key.orig);
  udp.status = kSeenReply;
  udp.timeout_s = 60;
  conns.push_back(udp);
  Conn icmp;
  icmp.key.proto = IPPROTO_ICMP;
  icmp.key.orig = tuple("10.0.0.1", "10.0.0.2", 77, 8 << 8);  // echo request, id 77
  icmp.reply = tuple("10.0.0.2", "10.0.0.1", 77, 0);          // echo reply
  icmp.timeout_s = 30;
  conns.push_back(icmp);
  Conn v6 = tcp_conn("2001:db8::1", "2001:db8::2", 40001, 443, 6);
  conns.push_back(v6);
  Conn zoned = tcp_conn("10.0.0.1", "10.0.0.2", 40000, 80);
  zoned.zone = 7;
  zoned.mark = 7;
  conns.push_back(zoned);
  // SNAT: 10.0.0.5:40002 -> 192.0.2.1:80 leaves as 198.51.100.1:50000.
  Conn nat = tcp_conn("10.0.0.5", "192.0.2.1", 40002, 80);
  nat.reply = tuple("192.0.2.1", "198.51.100.1", 80, 50000);
  nat.status |= kSrcNat;
  conns.push_back(nat);

  auto st = ins.apply(conns, {});
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->failed, 0U) << st->first_error;
  EXPECT_EQ(st->created, conns.size());

  for (const Conn& want : conns) {
    auto got = ins.get(want.key, want.zone);
    ASSERT_TRUE(got.ok()) << got.error().message;
    ASSERT_TRUE(got->has_value()) << "not found: " << show(want);
    const Conn& g = **got;
    EXPECT_EQ(g.key, want.key) << show(g);
    EXPECT_EQ(g.reply, want.reply) << show(g);
    EXPECT_EQ(g.tcp_state, want.tcp_state) << show(g);
    EXPECT_EQ(g.mark, want.mark) << show(g);
    EXPECT_EQ(g.zone, want.zone) << show(g);
    EXPECT_EQ(g.status & (kSeenReply | kAssured), want.status & (kSeenReply | kAssured))
        << show(g);
    EXPECT_NE(g.status & kConfirmed, 0U) << show(g);
    EXPECT_EQ(g.status & (kExpected | kDying | kSeqAdjust | kOffload), 0U) << show(g);
    EXPECT_EQ(g.status & kSrcNat, want.status & kSrcNat) << show(g);
    EXPECT_LE(g.timeout_s, want.timeout_s) << show(g);
    EXPECT_GE(g.timeout_s + 5, want.timeout_s) << show(g);
  }
  // The zone is part of the identity: zone 0 holds the zone-0 entry (mark 0x42), zone 3 none.
  auto other = ins.get(zoned.key, 3);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
}

TEST_F(ConntrackTest, UpsertRemove) {
  ASSERT_TRUE(lab_->add_netns("d").ok());
  Installer ins = installer("d");
  Conn c = tcp_conn("10.0.0.1", "10.0.0.2", 41000, 22);
  c.mark = 1;
  c.timeout_s = 100;
  auto first = ins.apply(std::span<const Conn>(&c, 1), {});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->created, 1U) << first->first_error;

  Conn newer = c;
  newer.mark = 2;
  newer.timeout_s = 200;
  newer.tcp_state = 5;  // CLOSE_WAIT
  auto second = ins.apply(std::span<const Conn>(&newer, 1), {});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->created, 0U);
  EXPECT_EQ(second->updated, 1U) << second->first_error;  // in place
  EXPECT_EQ(second->replaced, 0U) << second->first_error;
  EXPECT_EQ(second->failed, 0U) << second->first_error;
  auto got = ins.get(c.key);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->mark, 2U);
  EXPECT_EQ((*got)->tcp_state, 5U);
  EXPECT_GT((*got)->timeout_s, 150U);

  auto rm = ins.apply({}, std::span<const ConnKey>(&c.key, 1));
  ASSERT_TRUE(rm.ok());
  EXPECT_EQ(rm->removed, 1U);
  auto gone = ins.get(c.key);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto again = ins.apply({}, std::span<const ConnKey>(&c.key, 1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->missing, 1U);
  EXPECT_EQ(again->failed, 0U) << again->first_error;

  // A refused entry counts as failed with the kernel's reason; the rest of the batch goes in.
  Conn bad = tcp_conn("10.0.0.1", "10.0.0.2", 41001, 22);
  bad.tcp_state = 200;  // no such TCP state
  Conn good = tcp_conn("10.0.0.1", "10.0.0.2", 41002, 22);
  std::vector<Conn> mixed{bad, good};
  auto m = ins.apply(mixed, {});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->failed, 1U);
  EXPECT_EQ(m->created, 1U);
  EXPECT_NE(m->first_error.find("41001"), std::string::npos) << m->first_error;
  std::printf("  refused entry: %s\n", m->first_error.c_str());
}

// An upsert over an existing entry changes it in place: mark, TCP state, status bits that may
// be set, timeout; one UPDATE event, no DESTROY and NEW. What the kernel will not change in
// place (a status bit to clear, NAT) is refused and the entry is deleted and created again,
// so it still ends up with the sender's state. Both orders (update first, create first) give
// the same result for new and existing entries.
TEST_F(ConntrackTest, UpsertInPlace) {
  ASSERT_TRUE(lab_->add_netns("u").ok());
  Installer ins = installer("u");
  Capture cap = capture("u");
  Conn c = tcp_conn("10.0.0.1", "10.0.0.2", 43000, 80);
  c.status = kSeenReply | kConfirmed;
  c.tcp_state = 2;  // SYN_RECV
  c.mark = 1;
  c.timeout_s = 100;
  auto made = ins.apply(std::span<const Conn>(&c, 1), {});
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(made->created, 1U) << made->first_error;
  std::vector<Event> seen;
  collect(cap, seen, [](const auto& v) { return !v.empty(); }, std::chrono::seconds(2));
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].kind, EventKind::created);

  Conn est = c;
  est.status = kSeenReply | kAssured | kConfirmed;
  est.tcp_state = kEstablished;
  est.mark = 2;
  est.timeout_s = 5000;
  auto up = ins.apply(std::span<const Conn>(&est, 1), {});
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->updated, 1U) << up->first_error;
  EXPECT_EQ(up->created + up->replaced + up->failed, 0U) << up->first_error;
  auto got = ins.get(c.key);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->mark, 2U) << show(**got);
  EXPECT_EQ((*got)->tcp_state, kEstablished) << show(**got);
  EXPECT_NE((*got)->status & kAssured, 0U) << show(**got);
  EXPECT_GT((*got)->timeout_s, 4990U) << show(**got);
  EXPECT_LE((*got)->timeout_s, 5000U) << show(**got);
  seen.clear();
  collect(cap, seen, [](const auto&) { return false; }, std::chrono::milliseconds(300));
  ASSERT_EQ(seen.size(), 1U) << "an update in place gives one event";
  EXPECT_EQ(seen[0].kind, EventKind::updated);
  EXPECT_EQ(seen[0].origin_portid, ins.portid());

  // ASSURED can only be set in place: the kernel refuses to clear it (EBUSY), so the entry is
  // replaced and carries the sender's status.
  Conn back = est;
  back.status = kSeenReply | kConfirmed;
  back.mark = 3;
  auto rep = ins.apply(std::span<const Conn>(&back, 1), {});
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->replaced, 1U) << rep->first_error;
  EXPECT_EQ(rep->failed, 0U) << rep->first_error;
  got = ins.get(c.key);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status & kAssured, 0U) << show(**got);
  EXPECT_EQ((*got)->mark, 3U) << show(**got);

  // NAT cannot be set in place (EOPNOTSUPP): a NAT'd entry is created, or replaced.
  Conn nat = tcp_conn("10.0.0.5", "192.0.2.1", 43001, 80);
  nat.reply = tuple("192.0.2.1", "198.51.100.1", 80, 50000);
  nat.status |= kSrcNat;
  nat.mark = 1;
  auto n1 = ins.apply(std::span<const Conn>(&nat, 1), {});
  ASSERT_TRUE(n1.ok());
  EXPECT_EQ(n1->created, 1U) << n1->first_error;
  nat.mark = 2;
  auto n2 = ins.apply(std::span<const Conn>(&nat, 1), {});
  ASSERT_TRUE(n2.ok());
  EXPECT_EQ(n2->replaced, 1U) << n2->first_error;
  EXPECT_EQ(n2->failed, 0U) << n2->first_error;
  got = ins.get(nat.key);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->mark, 2U) << show(**got);
  EXPECT_EQ((*got)->reply, nat.reply) << show(**got);
  EXPECT_NE((*got)->status & kSrcNat, 0U) << show(**got);

  // Either order, for a new entry and an existing one.
  for (UpsertOrder order : {UpsertOrder::update_first, UpsertOrder::create_first}) {
    InstallerOptions o;
    o.upsert_order = order;
    auto fixed = open_in<Installer>(*lab_, "u", [&] { return Installer::open(o); });
    ASSERT_TRUE(fixed.ok()) << fixed.error().message;
    Conn fresh = tcp_conn("10.0.0.1", "10.0.0.2", order == UpsertOrder::update_first ? 43002 : 43003, 80);
    fresh.mark = 7;
    Conn old = est;
    old.mark = order == UpsertOrder::update_first ? 8 : 9;
    old.status = kSeenReply | kConfirmed;  // as the entry holds it now
    std::vector<Conn> both{fresh, old};
    auto st = fixed->apply(both, {});
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->created, 1U) << st->first_error;
    EXPECT_EQ(st->updated, 1U) << st->first_error;
    EXPECT_EQ(st->failed + st->replaced, 0U) << st->first_error;
    for (const Conn& want : both) {
      auto g = fixed->get(want.key);
      ASSERT_TRUE(g.ok() && g->has_value());
      EXPECT_EQ((*g)->mark, want.mark) << show(**g);
    }
  }
}

TEST_F(ConntrackTest, ExpireShortensOnlyTheTimeout) {
  ASSERT_TRUE(lab_->add_netns("x").ok());
  Installer ins = installer("x");
  Conn c = tcp_conn("10.0.0.1", "10.0.0.2", 41001, 22);
  c.mark = 7;
  c.timeout_s = 432000;
  auto made = ins.apply(std::span<const Conn>(&c, 1), {});
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(made->created, 1U) << made->first_error;
  ConnKey missing = c.key;
  missing.orig.sport = 41002;
  std::vector<ConnKey> keys{c.key, missing};
  auto st = ins.expire(keys, 60);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->expired, 1U) << st->first_error;
  EXPECT_EQ(st->missing, 1U);
  EXPECT_EQ(st->failed, 0U) << st->first_error;
  auto got = ins.get(c.key);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_LE((*got)->timeout_s, 60U);
  EXPECT_GT((*got)->timeout_s, 50U);
  EXPECT_EQ((*got)->mark, 7U);
  EXPECT_EQ((*got)->tcp_state, c.tcp_state);
}

TEST_F(ConntrackTest, InstalledEvents) {
  ASSERT_TRUE(lab_->add_netns("g").ok());
  Capture cap = capture("g");
  Installer ins = installer("g");
  Conn c = tcp_conn("10.0.0.1", "10.0.0.2", 42000, 80);
  ASSERT_TRUE(ins.apply(std::span<const Conn>(&c, 1), {}).ok());
  std::vector<Event> seen;
  const bool got = collect(cap, seen, [](const auto& v) { return !v.empty(); },
                           std::chrono::seconds(2));
  ASSERT_TRUE(got) << "installing over ctnetlink produced no event";
  EXPECT_EQ(seen[0].kind, EventKind::created);
  EXPECT_EQ(seen[0].conn.key, c.key);
  EXPECT_EQ(seen[0].origin_portid, ins.portid());
  EXPECT_EQ(seen[0].conn.tcp_state, kEstablished);

  // The member's own installs can be left out of what it replicates.
  cap.ignore_origin(ins.portid());
  Conn d = tcp_conn("10.0.0.1", "10.0.0.2", 42001, 80);
  ASSERT_TRUE(ins.apply(std::span<const Conn>(&d, 1), {}).ok());
  ASSERT_TRUE(ins.apply({}, std::span<const ConnKey>(&c.key, 1)).ok());
  seen.clear();
  collect(cap, seen, [](const auto&) { return false; }, std::chrono::milliseconds(300));
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(cap.counters().filtered, 2U);
}

// Reads the packet count of the last counter in chain `forward` (the drop rule).
std::uint64_t drops(Lab& lab, std::string_view ns) {
  auto r = lab.run(ns, "nft list chain inet gw forward");
  std::regex re("counter packets ([0-9]+) bytes [0-9]+ drop");
  std::smatch m;
  if (!std::regex_search(r.output, m, re)) return 0;
  return std::stoull(m[1].str());
}

TEST_F(ConntrackTest, GatewayFailover) {
  // cl ─┬─ gwa ─┬─ sv      client 10.9.0.1, server 10.8.0.1 (loopback addresses), routed
  //     └─ gwb ─┘          through gwa, then through gwb.
  for (const char* n : {"cl", "gwa", "gwb", "sv"}) ASSERT_TRUE(lab_->add_netns(n).ok());
  ASSERT_TRUE(lab_->add_veth("cl", "ca", "gwa", "ac").ok());
  ASSERT_TRUE(lab_->add_veth("cl", "cb", "gwb", "bc").ok());
  ASSERT_TRUE(lab_->add_veth("sv", "sa", "gwa", "as").ok());
  ASSERT_TRUE(lab_->add_veth("sv", "sb", "gwb", "bs").ok());
  must("cl", "ip addr add 10.1.1.1/24 dev ca && ip addr add 10.1.2.1/24 dev cb && "
             "ip addr add 10.9.0.1/32 dev lo && ip route add 10.8.0.1 via 10.1.1.2 src 10.9.0.1");
  must("sv", "ip addr add 10.2.1.1/24 dev sa && ip addr add 10.2.2.1/24 dev sb && "
             "ip addr add 10.8.0.1/32 dev lo && ip route add 10.9.0.1 via 10.2.1.2 src 10.8.0.1");
  must("gwa", "ip addr add 10.1.1.2/24 dev ac && ip addr add 10.2.1.2/24 dev as && "
              "ip route add 10.9.0.1 via 10.1.1.1 && ip route add 10.8.0.1 via 10.2.1.1");
  must("gwb", "ip addr add 10.1.2.2/24 dev bc && ip addr add 10.2.2.2/24 dev bs && "
              "ip route add 10.9.0.1 via 10.1.2.1 && ip route add 10.8.0.1 via 10.2.2.1");
  const std::string rules = lab_->dir() + "/gw.nft";
  {
    FILE* f = std::fopen(rules.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("table inet gw {\n"
               "  chain forward {\n"
               "    type filter hook forward priority 0; policy drop;\n"
               "    ct state established,related accept\n"
               "    tcp flags & (syn|ack|fin|rst) == syn ct state new accept\n"
               "    counter drop\n"
               "  }\n"
               "}\n", f);
    std::fclose(f);
  }
  for (const char* gw : {"gwa", "gwb"}) {
    must(gw, "sysctl -qw net.ipv4.ip_forward=1 && sysctl -qw net.ipv4.conf.all.rp_filter=0 && "
             "nft -f " + rules);
  }
  for (const char* end : {"cl", "sv"}) must(end, "sysctl -qw net.ipv4.conf.all.rp_filter=0");

  Capture cap_a = capture("gwa");
  Installer ins_b = installer("gwb");

  auto l = open_in<int>(*lab_, "sv", [] { return tcp_listen("10.8.0.1", 8080); });
  ASSERT_TRUE(l.ok()) << l.error().message;
  EchoServer echo(*l);
  auto c = open_in<int>(*lab_, "cl", [] { return tcp_connect("10.9.0.1", "10.8.0.1", 8080); });
  ASSERT_TRUE(c.ok()) << c.error().message;
  FdGuard client(*c);
  ASSERT_EQ(send(client.get(), "hello", 5, 0), 5);
  ASSERT_EQ(read_n(client.get(), 5), "hello") << "no echo through gateway A";

  ConnKey key;
  key.family = 4;
  key.proto = IPPROTO_TCP;
  key.orig = tuple("10.9.0.1", "10.8.0.1", local_port(client.get()), 8080);

  // What gateway A's capture knows: the events, and the dump used for the install.
  std::vector<Event> seen;
  ASSERT_TRUE(collect(cap_a, seen, [&](const auto& v) {
    for (const Event& e : v) {
      if (e.conn.key == key && e.conn.tcp_state == kEstablished) return true;
    }
    return false;
  }, std::chrono::seconds(5))) << "gateway A reported no ESTABLISHED state";
  std::vector<Conn> state;
  ASSERT_TRUE(cap_a.dump([&](const Conn& x) { if (x.key == key) state.push_back(x); }).ok());
  ASSERT_EQ(state.size(), 1U);
  EXPECT_EQ(state[0].tcp_state, kEstablished) << show(state[0]);

  // Both directions now go through gateway B, which does not know the connection: the
  // client's next segment (ACK, no SYN) is dropped.
  must("cl", "ip route replace 10.8.0.1 via 10.1.2.2 src 10.9.0.1");
  must("sv", "ip route replace 10.9.0.1 via 10.2.2.2 src 10.8.0.1");
  const std::uint64_t before = drops(*lab_, "gwb");
  ASSERT_EQ(send(client.get(), "ping1", 5, 0), 5);
  EXPECT_EQ(read_n(client.get(), 5, 1500), "") << "gateway B forwarded an unknown connection";
  EXPECT_GT(drops(*lab_, "gwb"), before) << "gateway B did not drop the mid-stream segment";

  // Install A's state on B: the retransmitted segment and the rest of the stream pass.
  auto st = ins_b.apply(state, {});
  ASSERT_TRUE(st.ok()) << st.error().message;
  ASSERT_EQ(st->created, 1U) << st->first_error;
  EXPECT_EQ(read_n(client.get(), 5, 10000), "ping1") << "connection did not survive on B";
  ASSERT_EQ(send(client.get(), "ping2", 5, 0), 5);
  EXPECT_EQ(read_n(client.get(), 5, 2000), "ping2");
  auto on_b = ins_b.get(key);
  ASSERT_TRUE(on_b.ok() && on_b->has_value());
  EXPECT_EQ((*on_b)->tcp_state, kEstablished);
  shutdown(client.get(), SHUT_RDWR);
}

TEST_F(ConntrackTest, Batch10k) {
  ASSERT_TRUE(lab_->add_netns("f").ok());
  Installer ins = installer("f");
  Capture cap = capture("f");
  constexpr int kN = 10000;
  std::vector<Conn> conns;
  conns.reserve(kN);
  for (int i = 0; i < kN; ++i) {
    Conn c = tcp_conn("10.0.0.1", "10.0.0.2", 0, 443);
    c.key.orig.src[2] = static_cast<std::uint8_t>(i >> 8);
    c.key.orig.src[3] = static_cast<std::uint8_t>(i);
    c.key.orig.sport = static_cast<std::uint16_t>(10000 + i);
    c.reply = reversed(c.key.orig);
    c.mark = static_cast<std::uint32_t>(i);
    conns.push_back(c);
  }
  auto st = ins.apply(conns, {});
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->created, static_cast<std::size_t>(kN)) << st->first_error;
  EXPECT_EQ(st->failed, 0U) << st->first_error;
  EXPECT_GT(st->batches, 10U);
  EXPECT_LT(st->batches, static_cast<std::size_t>(kN) / 50);

  std::vector<bool> found(kN);
  std::size_t n = 0;
  ASSERT_TRUE(cap.dump([&](const Conn& c) {
    const int i = static_cast<int>(c.mark);
    if (i >= 0 && i < kN && c.key == conns[static_cast<std::size_t>(i)].key &&
        c.tcp_state == kEstablished)
      found[static_cast<std::size_t>(i)] = true;
    ++n;
  }).ok());
  EXPECT_EQ(n, static_cast<std::size_t>(kN));
  EXPECT_EQ(std::count(found.begin(), found.end(), true), kN);

  // The same batch again, marks changed: every entry exists, every entry is updated in place
  // (tried as a create first, since the last apply met only new entries).
  for (auto& c : conns) c.mark += 1;
  auto again = ins.apply(conns, {});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->updated, static_cast<std::size_t>(kN)) << again->first_error;
  EXPECT_EQ(again->replaced, 0U) << again->first_error;
  EXPECT_EQ(again->failed, 0U) << again->first_error;
  // And once more: now tried as an update first (one request per entry).
  for (auto& c : conns) c.mark += 1;
  const std::size_t batches_before = again->batches;
  auto third = ins.apply(conns, {});
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_EQ(third->updated, static_cast<std::size_t>(kN)) << third->first_error;
  EXPECT_EQ(third->failed, 0U) << third->first_error;
  EXPECT_LT(third->batches, batches_before);
  std::size_t marked = 0;
  ASSERT_TRUE(cap.dump([&](const Conn& c) {
    const auto i = static_cast<std::size_t>(c.mark - 2);
    if (i < conns.size() && c.key == conns[i].key) ++marked;
  }).ok());
  EXPECT_EQ(marked, static_cast<std::size_t>(kN));
}

}  // namespace
}  // namespace baton::sync::ct
