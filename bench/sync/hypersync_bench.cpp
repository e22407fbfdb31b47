// hypersync_bench: HyperSync end to end between two network namespaces, and conntrackd as
// the baseline (docs/hypersync-bench.md; the driver script is hypersync-vs-conntrackd.sh).
//
//   sudo build/bench/sync/hypersync_bench [--n 100000] [--rounds 3] [--json]
//        [--ns-a NS --ns-b NS --addr-a IP --addr-b IP]      baton's pair (else its own)
//        [--ctd-ns-a NS --ctd-ns-b NS]                      conntrackd's pair (optional)
//
// One round, for each system, on tables emptied first:
//   pass "create": a driver in A creates N ESTABLISHED TCP entries (Installer::apply, chunks of
//                  64, batched into sendmsgs)
//   pass "update": the driver changes the mark of each of them (CT_NEW without NLM_F_CREATE,
//                  batched): N UPDATE events.
// baton: in A a Capture turns the events into Conns (merged per connection as the agent
//   does; a lost event is repaired from a dump), a PeerSender sends them sealed over a real UDP
//   socket on the veth to B; in B a Gate + PeerReceiver decode, an Installer applies in
//   batches (--b-batch records) and only then the ACK goes back. B also runs the agent's own
//   Capture (its installs are delivered to it and ignored by origin), as a member would.
//   A pass ends at the ack that leaves the sender in sync with every entry of the pass read.
//     updates/s = N / (last ack - first driver write)
//     lag       = driver's write in A -> its install returned in B, per connection; also
//                 reported from the event's read in A (lag_from_event_read_ms)
//   Run with the window and rate limit raised (--window, --rate) and with the defaults
//   (window 32, 200 000 records/s).
// conntrackd (when --ctd-ns-a/b are given; the script starts conntrackd there): the same
//   driver in A; a listener of the bench in B stamps when each entry, in the pass's state,
//   appeared there (a dump finds the rest if that listener lost events).
//     updates/s = N / (last entry seen in B - first driver write)
//     lag       = driver's write in A -> the entry's event read in B
// Each system also runs with the driver paced (--paced entries/s): the lag under a load the
// system sustains, where the flat-out runs measure the backlog of a burst.
// At the end of each round B's table is dumped and compared with the final state; a
// difference fails the run (exit 1; exit 3 when only conntrackd failed).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "auth/key.hpp"
#include "core/log.hpp"
#include "netns.hpp"
#include "sync/conntrack/capture.hpp"
#include "sync/conntrack/install.hpp"
#include "sync/conntrack/nfct.hpp"
#include "sync/gate.hpp"
#include "sync/peer_receiver.hpp"
#include "sync/peer_sender.hpp"

using namespace baton;
using namespace baton::sync;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::uint32_t kIdA = 1, kIdB = 2;
constexpr std::uint32_t kMark[2] = {1, 2};  // the entries' mark after each pass
const char* const kPassName[2] = {"create", "update"};
constexpr std::uint8_t kEstablished = 3;
constexpr std::uint32_t kSeenReplyAssured = (1U << 1) | (1U << 2);

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}
// CPU seconds used by the calling thread so far (user + system).
double thread_cpu_s() {
  rusage u{};
  (void)::getrusage(RUSAGE_THREAD, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
TimePoint now_tp() { return TimePoint(SteadyClock::now().time_since_epoch()); }

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "hypersync_bench: %s\n", what.c_str());
  std::exit(1);
}

// --- the entries -----------------------------------------------------------------------------

Conn entry(std::size_t i) {
  Conn c;
  c.key.family = 4;
  c.key.proto = IPPROTO_TCP;
  c.key.orig.src = {10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                    static_cast<std::uint8_t>(i)};
  c.key.orig.dst = {192, 0, 2, 1};
  c.key.orig.sport = static_cast<std::uint16_t>(1024 + i % 60000);
  c.key.orig.dport = 443;
  c.reply.src = c.key.orig.dst;
  c.reply.dst = c.key.orig.src;
  c.reply.sport = c.key.orig.dport;
  c.reply.dport = c.key.orig.sport;
  c.status = kSeenReplyAssured;
  c.timeout_s = 3600;
  c.tcp_state = kEstablished;
  c.mark = kMark[0];
  return c;
}

// The entry's index, or -1 for a connection the benchmark did not make.
long index_of(const ConnKey& k, std::size_t n) {
  if (k.family != 4 || k.proto != IPPROTO_TCP || k.orig.src[0] != 10 || k.orig.dst[0] != 192 ||
      k.orig.dst[1] != 0 || k.orig.dst[2] != 2 || k.orig.dst[3] != 1 || k.orig.dport != 443) {
    return -1;
  }
  const std::size_t i = (std::size_t{k.orig.src[1]} << 16) | (std::size_t{k.orig.src[2]} << 8) |
                        std::size_t{k.orig.src[3]};
  return i < n ? static_cast<long>(i) : -1;
}

int pass_of(std::uint32_t mark) { return mark == kMark[1] ? 1 : mark == kMark[0] ? 0 : -1; }

// --- namespaces ------------------------------------------------------------------------------

// Runs fn on a thread that entered namespace `ns` (setns) and joins it.
void in_ns(const std::string& ns, const std::function<void()>& fn) {
  std::string error;
  std::thread t([&] {
    if (auto s = testing::enter_netns(ns); !s) {
      error = s.error().message;
      return;
    }
    fn();
  });
  t.join();
  if (!error.empty()) die(error);
}

// nf_conntrack_count of the calling thread's namespace (-1 if unreadable).
long conntrack_count() {
  std::ifstream in("/proc/sys/net/netfilter/nf_conntrack_count");
  long v = -1;
  in >> v;
  return in ? v : -1;
}

// --- the driver ------------------------------------------------------------------------------

// Changes the mark of existing entries: CT_NEW without NLM_F_CREATE is an update in place,
// which the kernel reports as an UPDATE event. Batched like the Installer: many requests per
// sendmsg, only the last one acked (errors are always answered).
class MarkUpdater {
 public:
  static MarkUpdater open() {
    auto nl = ct::detail::open_netfilter_socket(0);
    if (!nl) die(nl.error().message);
    if (auto s = ct::detail::set_buffer(mnl_socket_get_fd(nl->get()), true, 8 << 20); !s) {
      die(s.error().message);
    }
    return MarkUpdater(std::move(*nl));
  }

  // Returns how many requests failed (the first error in `first_error`).
  std::size_t update(const std::vector<Conn>& conns, std::uint32_t mark, std::string& first_error) {
    std::size_t failed = 0;
    std::size_t off = 0;
    nlmsghdr* last = nullptr;
    auto flush = [&] {
      if (last == nullptr) return;
      last->nlmsg_flags = static_cast<std::uint16_t>(last->nlmsg_flags | NLM_F_ACK);
      const std::uint32_t want = last->nlmsg_seq;
      if (mnl_socket_sendto(nl_.get(), send_.data(), off) < 0) {
        die(ct::detail::errno_text("sendmsg(ctnetlink updates)"));
      }
      for (bool done = false; !done;) {
        const ssize_t got = mnl_socket_recvfrom(nl_.get(), recv_.data(), recv_.size());
        if (got < 0) die(ct::detail::errno_text("recv(ctnetlink update acks)"));
        int len = static_cast<int>(got);
        for (auto* h = reinterpret_cast<const nlmsghdr*>(recv_.data()); mnl_nlmsg_ok(h, len);
             h = mnl_nlmsg_next(h, &len)) {
          if (h->nlmsg_type != NLMSG_ERROR) continue;
          const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
          if (e->error != 0) {
            ++failed;
            if (first_error.empty()) first_error = std::strerror(-e->error);
          }
          if (h->nlmsg_seq == want) done = true;
        }
      }
      off = 0;
      last = nullptr;
    };
    for (const Conn& c : conns) {
      if (off + 1024 > kBatchBytes) flush();
      nlmsghdr* nlh = ct::detail::put_request(send_.data() + off, IPCTNL_MSG_CT_NEW, 0, ++seq_,
                                              ct::detail::af_of(c.key.family));
      auto obj = ct::detail::new_nfct();
      ct::detail::set_key(obj.get(), c.key, c.zone);
      nfct_set_attr_u32(obj.get(), ATTR_MARK, mark);
      if (nfct_nlmsg_build(nlh, obj.get()) < 0) die("nfct_nlmsg_build failed");
      off += NLMSG_ALIGN(nlh->nlmsg_len);
      last = nlh;
    }
    flush();
    return failed;
  }

 private:
  static constexpr std::size_t kBatchBytes = 64 * 1024;
  explicit MarkUpdater(ct::detail::MnlPtr nl)
      : nl_(std::move(nl)), send_(kBatchBytes + 4096), recv_(1 << 20) {}
  ct::detail::MnlPtr nl_;
  std::vector<char> send_;
  std::vector<char> recv_;
  std::uint32_t seq_ = 0;
};

// --- UDP -------------------------------------------------------------------------------------

int udp_socket(const std::string& local, const std::string& remote, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die(fmt::format("socket(udp): {}", std::strerror(errno)));
  const int big = 32 << 20;
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, local.c_str(), &a.sin_addr) != 1) die("bad address " + local);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    die(fmt::format("bind {}:{}: {}", local, port, std::strerror(errno)));
  }
  sockaddr_in r{};
  r.sin_family = AF_INET;
  r.sin_port = htons(port);
  if (::inet_pton(AF_INET, remote.c_str(), &r.sin_addr) != 1) die("bad address " + remote);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&r), sizeof r) != 0) {
    die(fmt::format("connect {}:{}: {}", remote, port, std::strerror(errno)));
  }
  return fd;
}

// recv() that also returns when the datagram was queued on the socket (SO_TIMESTAMPNS, moved
// from CLOCK_REALTIME to the steady clock; 0 if the kernel gave no stamp).
ssize_t recv_stamped(int fd, std::vector<std::uint8_t>& buf, std::int64_t& queued_ns) {
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  const ssize_t got = ::recvmsg(fd, &m, 0);
  queued_ns = 0;
  if (got < 0) return got;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      timespec real{};
      ::clock_gettime(CLOCK_REALTIME, &real);
      const std::int64_t mono = now_ns();
      const std::int64_t real_ns = std::int64_t{real.tv_sec} * 1'000'000'000 + real.tv_nsec;
      queued_ns = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec - real_ns + mono;
    }
  }
  return got;
}

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// --- figures ---------------------------------------------------------------------------------

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Nearest-rank percentile of a sorted vector.
double pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

struct PassFigure {
  double seconds = 0;
  double per_s = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  std::size_t samples = 0;
};

// Lags (ms) of pass p from the start and end stamps (0 = not stamped).
PassFigure figure(const std::vector<std::int64_t>& from, const std::vector<std::int64_t>& to,
                  std::int64_t t_first, std::int64_t t_done, std::vector<double>& all) {
  PassFigure f;
  std::vector<double> lag;
  lag.reserve(from.size());
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (from[i] != 0 && to[i] != 0) lag.push_back(static_cast<double>(to[i] - from[i]) / 1e6);
  }
  std::sort(lag.begin(), lag.end());
  f.samples = lag.size();
  f.p50_ms = pct(lag, 0.50);
  f.p99_ms = pct(lag, 0.99);
  f.max_ms = lag.empty() ? 0 : lag.back();
  f.seconds = static_cast<double>(t_done - t_first) / 1e9;
  f.per_s = f.seconds > 0 ? static_cast<double>(from.size()) / f.seconds : 0;
  all.insert(all.end(), lag.begin(), lag.end());
  return f;
}

struct RoundResult {
  bool ok = true;
  std::string reason;
  PassFigure pass[2];
  PassFigure combined;
  // baton only: lag from the event's read in A (instead of the driver's write) to B's install.
  PassFigure from_read[3];
  bool has_from_read = false;
  // baton only: the lag split into stages, both passes together (see kStageName).
  PassFigure stage[5];
  bool has_stages = false;
  nlohmann::json counters;
};

// The stages of baton's lag, per entry (docs/hypersync-bench.md, "Where the lag goes"):
//   event:   the driver's request sent in A -> its event read by A's Capture
//   send:    event read -> the first UPDATE carrying that state sent (PeerSender, window)
//   wire:    UPDATE sent -> the datagram queued on B's socket (kernel timestamp)
//   queue:   queued on B's socket -> read by B (B busy installing or draining its listener)
//   install: read by B -> its install returned (batching and the ctnetlink requests)
constexpr int kStages = 5;
const char* const kStageName[kStages] = {"event", "send", "wire", "queue", "install"};

struct SystemResult {
  std::string name;
  nlohmann::json config;
  bool conntrackd = false;
  bool defaults = false;
  double pace = 0;  // driver's entries/s; 0: as fast as it can
  std::vector<RoundResult> rounds;
  bool ok() const {
    return !rounds.empty() &&
           std::all_of(rounds.begin(), rounds.end(), [](const RoundResult& r) { return r.ok; });
  }
  std::size_t ok_rounds() const {
    return static_cast<std::size_t>(
        std::count_if(rounds.begin(), rounds.end(), [](const RoundResult& r) { return r.ok; }));
  }
  std::string reason() const {
    for (const auto& r : rounds) {
      if (!r.ok) return r.reason;
    }
    return rounds.empty() ? "not run" : "";
  }
  // Medians over the successful rounds: [0], [1] the passes, [2] both together.
  PassFigure med(int which, bool from_read = false, int stage = -1) const {
    std::vector<double> s, ps, p50, p99, mx, n;
    for (const auto& r : rounds) {
      if (!r.ok) continue;
      const PassFigure& f = stage >= 0 ? r.stage[stage]
                            : from_read ? r.from_read[which]
                            : which == 2 ? r.combined
                                         : r.pass[which];
      s.push_back(f.seconds);
      ps.push_back(f.per_s);
      p50.push_back(f.p50_ms);
      p99.push_back(f.p99_ms);
      mx.push_back(f.max_ms);
      n.push_back(static_cast<double>(f.samples));
    }
    PassFigure f;
    f.seconds = median(s);
    f.per_s = median(ps);
    f.p50_ms = median(p50);
    f.p99_ms = median(p99);
    f.max_ms = median(mx);
    f.samples = static_cast<std::size_t>(median(n));
    return f;
  }
};

// Lags (ms) from `from` to `to` over both passes (entries stamped in both).
PassFigure stage_figure(const std::vector<std::int64_t> (&from)[2],
                        const std::vector<std::int64_t> (&to)[2]) {
  std::vector<double> lag;
  for (int p = 0; p < 2; ++p) {
    for (std::size_t i = 0; i < from[p].size(); ++i) {
      if (from[p][i] != 0 && to[p][i] != 0) lag.push_back(static_cast<double>(to[p][i] - from[p][i]) / 1e6);
    }
  }
  std::sort(lag.begin(), lag.end());
  PassFigure f;
  f.samples = lag.size();
  f.p50_ms = pct(lag, 0.50);
  f.p99_ms = pct(lag, 0.99);
  f.max_ms = lag.empty() ? 0 : lag.back();
  return f;
}

RoundResult finish(const std::vector<std::int64_t> (&from)[2],
                   const std::vector<std::int64_t> (&to)[2],
                   const std::atomic<std::int64_t> (&first)[2], const std::int64_t (&done)[2]) {
  RoundResult r;
  std::vector<double> all;
  for (int p = 0; p < 2; ++p) {
    r.pass[p] = figure(from[p], to[p], first[p].load(), done[p], all);
  }
  std::sort(all.begin(), all.end());
  r.combined.seconds = r.pass[0].seconds + r.pass[1].seconds;
  r.combined.per_s = r.combined.seconds > 0
                         ? static_cast<double>(2 * from[0].size()) / r.combined.seconds
                         : 0;
  r.combined.samples = all.size();
  r.combined.p50_ms = pct(all, 0.50);
  r.combined.p99_ms = pct(all, 0.99);
  r.combined.max_ms = all.empty() ? 0 : all.back();
  return r;
}

// B's table against the final state: every entry there with mark 2, ESTABLISHED,
// SEEN_REPLY|ASSURED and the right reply tuple, nothing else of ours. "" when it matches.
std::string verify(const std::string& ns_b, std::size_t n) {
  std::string problem;
  in_ns(ns_b, [&] {
    auto cap = ct::Capture::open();
    if (!cap) {
      problem = cap.error().message;
      return;
    }
    std::vector<bool> seen(n, false);
    std::size_t ours = 0, wrong = 0, dup = 0;
    std::string first_wrong;
    auto k = cap->dump([&](const Conn& c) {
      const long i = index_of(c.key, n);
      if (i < 0) return;
      ++ours;
      const auto idx = static_cast<std::size_t>(i);
      if (seen[idx]) ++dup;
      seen[idx] = true;
      const Conn want = entry(idx);
      if (c.mark != kMark[1] || c.tcp_state != kEstablished ||
          (c.status & kSeenReplyAssured) != kSeenReplyAssured || !(c.reply == want.reply) ||
          c.timeout_s < 3000) {
        if (wrong++ == 0) {
          first_wrong = fmt::format("{}: mark {} state {} status {:#x} timeout {}",
                                    to_string(c.key), c.mark, c.tcp_state, c.status, c.timeout_s);
        }
      }
    });
    if (!k) {
      problem = k.error().message;
      return;
    }
    const auto present = static_cast<std::size_t>(std::count(seen.begin(), seen.end(), true));
    if (present != n || wrong != 0 || dup != 0) {
      problem = fmt::format("B holds {} of {} entries ({} listed, {} duplicates, {} in a wrong "
                            "state{}{})",
                            present, n, ours, dup, wrong, wrong ? "; first: " : "", first_wrong);
    }
  });
  return problem;
}

void flush(const std::string& ns) {
  in_ns(ns, [] {
    auto ins = ct::Installer::open();
    if (!ins) die(ins.error().message);
    if (auto s = ins->flush(); !s) die(s.error().message);
  });
}

// --- the driver thread -----------------------------------------------------------------------

struct Driver {
  // Runs in A: pass 0 (create) then pass 1 (update), each started once `go(p)` returns and
  // followed by `wait_done(p)` (false: the pass timed out; the driver stops).
  // pace: entries per second (a chunk every millisecond), 0 = as fast as it can.
  // Every entry's write time (when the request carrying it went out) goes to written[pass][i].
  static void run(const std::string& ns_a, const std::vector<Conn>& conns, double pace,
                  std::vector<std::int64_t> (&written)[2], std::atomic<std::int64_t> (&first)[2], const std::function<bool()>& ready,
                  const std::function<bool(int)>& wait_done, std::string& error,
                  double& cpu_s, std::size_t& replaced) {
    in_ns(ns_a, [&] {
      auto ins = ct::Installer::open();
      if (!ins) die(ins.error().message);
      MarkUpdater upd = MarkUpdater::open();
      if (!ready()) {
        error = "the pipeline did not start";
        return;
      }
      // Paced: a chunk every millisecond. Flat out: chunks of 64 (about a millisecond).
      // Each entry is stamped with the time its chunk's request went out: the lag measured
      // from it may exceed the true one by the chunk's duration, never fall short of it.
      const std::size_t chunk =
          pace > 0 ? std::max<std::size_t>(1, static_cast<std::size_t>(pace / 1000)) : 64;
      int pass = 0;
      auto paced = [&](const std::function<void(const std::vector<Conn>&)>& fn) {
        const auto start = SteadyClock::now();
        std::vector<Conn> part;
        for (std::size_t i = 0, tick = 0; i < conns.size(); i += chunk, ++tick) {
          if (pace > 0) std::this_thread::sleep_until(start + tick * 1ms);
          const std::size_t end = std::min(conns.size(), i + chunk);
          part.assign(conns.begin() + static_cast<std::ptrdiff_t>(i),
                      conns.begin() + static_cast<std::ptrdiff_t>(end));
          const std::int64_t t = now_ns();
          for (std::size_t j = i; j < end; ++j) written[pass][j] = t;
          fn(part);
        }
      };
      first[0] = now_ns();
      paced([&](const std::vector<Conn>& part) {
        auto st = ins->apply(part, {});
        if (!st) die(st.error().message);
        // An entry already there (conntrackd can bring back entries of an earlier round,
        // e.g. after a resync) is replaced: it still gives a NEW event. Counted.
        replaced += st->updated + st->replaced;
        if (st->created + st->updated + st->replaced != part.size()) {
          die(fmt::format("driver: created {} of {} ({})", st->created, part.size(),
                          st->first_error));
        }
      });
      if (!wait_done(0)) {
        error = "pass create timed out";
        return;
      }
      first[1] = now_ns();
      pass = 1;
      paced([&](const std::vector<Conn>& part) {
        std::string first_error;
        if (std::size_t failed = upd.update(part, kMark[1], first_error); failed != 0) {
          die(fmt::format("driver: {} updates failed ({})", failed, first_error));
        }
      });
      cpu_s = thread_cpu_s();
      if (!wait_done(1)) error = "pass update timed out";
    });
  }
};

bool wait_for(const std::atomic<bool>& flag, std::chrono::milliseconds limit) {
  const auto end = SteadyClock::now() + limit;
  while (!flag.load()) {
    if (SteadyClock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// --- baton -----------------------------------------------------------------------------------

struct BatonConfig {
  std::size_t window = 32;
  double rate = 200'000;
  double burst = 4'000;
  bool listener_b = true;
  std::size_t b_batch = 256;  // B installs once it holds this many records (or has no more)
};

struct Net {
  std::string ns_a, ns_b, addr_a, addr_b;
  std::uint16_t port = 7788;
};

RoundResult baton_round(const Net& net, const BatonConfig& cfg, double pace,
                        const std::vector<Conn>& conns,
                        const auth::Key& key, std::uint64_t epoch_base,
                        std::chrono::milliseconds pass_limit) {
  const std::size_t n = conns.size();
  flush(net.ns_a);
  flush(net.ns_b);

  std::vector<std::int64_t> t_write[2] = {std::vector<std::int64_t>(n), std::vector<std::int64_t>(n)};
  std::vector<std::int64_t> t_read[2] = {std::vector<std::int64_t>(n), std::vector<std::int64_t>(n)};
  std::vector<std::int64_t> t_inst[2] = {std::vector<std::int64_t>(n), std::vector<std::int64_t>(n)};
  // The stages in between (see kStageName): first UPDATE sent, queued on B's socket, read by B.
  std::vector<std::int64_t> t_send[2] = {std::vector<std::int64_t>(n), std::vector<std::int64_t>(n)};
  std::vector<std::int64_t> t_queued[2] = {std::vector<std::int64_t>(n), std::vector<std::int64_t>(n)};
  std::vector<std::int64_t> t_recv[2] = {std::vector<std::int64_t>(n), std::vector<std::int64_t>(n)};
  std::atomic<std::int64_t> first[2] = {0, 0};
  std::int64_t done[2] = {0, 0};
  std::atomic<bool> stop{false}, ready{false};
  std::atomic<bool> pass_done[2] = {false, false};
  nlohmann::json counters;

  auto sync_addresses = [&] {
    std::vector<ct::Address> out;
    for (const auto& s : {net.addr_a, net.addr_b}) {
      auto a = ct::parse_address(s);
      if (!a) die(a.error().message);
      out.push_back(*a);
    }
    return out;
  };

  // B: Gate + PeerReceiver, Installer in batches, then the ACK.
  std::thread b([&] {
    if (auto s = testing::enter_netns(net.ns_b); !s) die(s.error().message);
    Fd sock(udp_socket(net.addr_b, net.addr_a, net.port));
    const int on = 1;
    (void)::setsockopt(sock.fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    auto ins = ct::Installer::open();
    if (!ins) die(ins.error().message);
    std::optional<ct::Capture> own;
    if (cfg.listener_b) {
      ct::CaptureOptions o;
      o.ignore_addresses = sync_addresses();
      auto c = ct::Capture::open(o);
      if (!c) die(c.error().message);
      own.emplace(std::move(*c));
      own->ignore_origin(ins->portid());
    }
    const std::uint64_t epoch = epoch_base + 1;
    Sealer sealer(key, kIdB, epoch);
    Gate gate(key, GateConfig{kIdB, epoch});
    // Sized as the agent sizes it (two members: the whole conntrack limit for the one stream).
    PeerReceiverConfig rc{kIdA};
    rc.expected_connections = std::min<std::size_t>(ct::table_limit(), std::size_t{1} << 20);
    PeerReceiver receiver(rc);
    std::vector<std::uint8_t> buf(70000);
    std::vector<Conn> batch;
    std::vector<ConnKey> removes;
    std::uint64_t installed = 0, install_failed = 0, sends_failed = 0, own_events = 0;
    std::uint64_t created = 0, updated = 0, replaced = 0;
    std::string first_error;
    auto send = [&](const Outgoing& o) {
      auto bytes = sealer.seal(o);
      if (!bytes) die(bytes.error().message);
      if (::send(sock.fd, bytes->data(), bytes->size(), 0) < 0) ++sends_failed;
    };
    while (!stop.load()) {
      pollfd p[2] = {{sock.fd, POLLIN, 0}, {own ? own->fd() : -1, POLLIN, 0}};
      (void)::poll(p, 2, 5);
      std::optional<Outgoing> ack;
      while (batch.size() + removes.size() < cfg.b_batch) {
        std::int64_t queued = 0;
        const ssize_t got = recv_stamped(sock.fd, buf, queued);
        if (got < 0) break;
        const std::int64_t t_got = now_ns();
        auto r = gate.receive(std::span(buf.data(), static_cast<std::size_t>(got)));
        if (!r.accepted()) continue;
        const Message& m = *r.message;
        if (const auto* u = std::get_if<Update>(&m.body)) {
          auto applied = receiver.on_update(m.header.sender_epoch, *u, now_tp());
          for (auto& a : applied.actions) {
            if (auto* i = std::get_if<Install>(&a)) {
              batch.push_back(i->conn);
              const long li = index_of(i->conn.key, n);
              const int ps = pass_of(i->conn.mark);
              if (li >= 0 && ps >= 0 && t_recv[ps][static_cast<std::size_t>(li)] == 0) {
                t_recv[ps][static_cast<std::size_t>(li)] = t_got;
                t_queued[ps][static_cast<std::size_t>(li)] = queued != 0 ? queued : t_got;
              }
            } else {
              removes.push_back(std::get<Remove>(a).key);
            }
          }
          if (applied.ack) ack = std::move(applied.ack);
        } else if (const auto* hb = std::get_if<Heartbeat>(&m.body)) {
          if (auto a = receiver.on_heartbeat(m.header.sender_epoch, *hb, now_tp())) ack = std::move(a);
        }
      }
      if (!batch.empty() || !removes.empty()) {
        auto st = ins->apply(batch, removes);
        if (!st) die(st.error().message);
        const std::int64_t t = now_ns();
        installed += st->created + st->updated + st->replaced;
        created += st->created;
        updated += st->updated;
        replaced += st->replaced;
        install_failed += st->failed;
        if (first_error.empty()) first_error = st->first_error;
        for (const Conn& c : batch) {
          const long i = index_of(c.key, n);
          const int ps = pass_of(c.mark);
          if (i >= 0 && ps >= 0) t_inst[ps][static_cast<std::size_t>(i)] = t;
        }
        batch.clear();
        removes.clear();
      }
      if (ack) send(*ack);
      if (own) {
        auto k = own->drain([&](const ct::Event&) { ++own_events; }, 65536);
        if (!k) die(k.error().message);
      }
    }
    counters["b"] = {{"cpu_s", thread_cpu_s()},
                     {"updates", receiver.counters().updates},
                     {"records_applied", receiver.counters().records_applied},
                     {"records_stale", receiver.counters().records_stale},
                     {"installed", installed},
                     {"installed_created", created},
                     {"installed_updated", updated},
                     {"installed_replaced", replaced},
                     {"install_failed", install_failed},
                     {"first_install_error", first_error},
                     {"gate_drops", gate.drops().total()},
                     {"ack_send_failures", sends_failed},
                     {"own_listener_filtered", own ? own->counters().filtered : 0},
                     {"own_listener_lost", own ? own->counters().lost : 0}};
  });

  // A: Capture -> merge -> PeerSender -> UDP; ACKs back.
  std::thread a([&] {
    if (auto s = testing::enter_netns(net.ns_a); !s) die(s.error().message);
    Fd sock(udp_socket(net.addr_a, net.addr_b, net.port));
    ct::CaptureOptions o;
    o.ignore_addresses = sync_addresses();
    auto cap = ct::Capture::open(o);
    if (!cap) die(cap.error().message);
    const std::uint64_t epoch = epoch_base;
    Sealer sealer(key, kIdA, epoch);
    Gate gate(key, GateConfig{kIdA, epoch});
    PeerSenderConfig sc;
    sc.peer_id = kIdB;
    sc.window = cfg.window;
    sc.records_per_second = cfg.rate;
    sc.burst_records = cfg.burst;
    sc.expected_connections = std::min<std::size_t>(ct::table_limit(), std::size_t{1} << 20);
    PeerSender sender(sc);
    std::vector<Conn> state(n);
    std::vector<bool> known(n, false);
    std::size_t seen[2] = {0, 0};
    std::uint64_t foreign = 0, sends_failed = 0, dumps = 0;
    std::uint64_t lost_seen = 0;
    std::vector<std::uint8_t> buf(70000);
    auto on_conn = [&](const Conn& c0, bool has_state, bool has_timeout, std::int64_t t) {
      const long li = index_of(c0.key, n);
      if (li < 0) {
        ++foreign;
        return;
      }
      const auto i = static_cast<std::size_t>(li);
      Conn c = c0;
      if (known[i]) {  // merge: a field the event did not carry keeps its last value
        if (!has_state) c.tcp_state = state[i].tcp_state;
        if (!has_timeout) c.timeout_s = state[i].timeout_s;
      }
      state[i] = c;
      known[i] = true;
      sender.upsert(c);
      const int ps = pass_of(c.mark);
      if (ps >= 0 && t_read[ps][i] == 0) {
        t_read[ps][i] = t;
        ++seen[ps];
      }
    };
    while (!stop.load()) {
      const TimePoint now = now_tp();
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          sender.next_deadline() - now);
      pollfd p[2] = {{cap->fd(), POLLIN, 0}, {sock.fd, POLLIN, 0}};
      (void)::poll(p, 2, static_cast<int>(std::clamp<long>(wait.count(), 0, 5)));
      auto k = cap->drain(
          [&](const ct::Event& e) {
            if (e.kind == ct::EventKind::destroyed) {
              if (index_of(e.conn.key, n) >= 0) sender.remove(e.conn.key);
              return;
            }
            on_conn(e.conn, e.has_tcp_state, e.has_timeout, now_ns());
          },
          4096);
      if (!k) die(k.error().message);
      if (cap->counters().lost + cap->counters().overruns != lost_seen) {
        // Events were dropped: repair from a dump, as the agent does.
        lost_seen = cap->counters().lost + cap->counters().overruns;
        ++dumps;
        const std::int64_t t = now_ns();
        auto d = cap->dump([&](const Conn& c) { on_conn(c, true, true, t); });
        if (!d) die(d.error().message);
      }
      for (int j = 0; j < 512; ++j) {
        const ssize_t got = ::recv(sock.fd, buf.data(), buf.size(), 0);
        if (got < 0) break;
        auto r = gate.receive(std::span(buf.data(), static_cast<std::size_t>(got)));
        if (!r.accepted()) continue;
        sender.on_peer_epoch(r.message->header.sender_epoch);
        if (const auto* ack = std::get_if<Ack>(&r.message->body)) sender.on_ack(*ack, now_tp());
        if (std::holds_alternative<ResyncRequest>(r.message->body)) sender.on_resync_request();
      }
      for (const Outgoing& out : sender.poll(now_tp())) {
        auto bytes = sealer.seal(out);
        if (!bytes) die(bytes.error().message);
        if (::send(sock.fd, bytes->data(), bytes->size(), 0) < 0) ++sends_failed;
        if (const auto* u = std::get_if<Update>(&out.body)) {
          const std::int64_t t = now_ns();
          for (const Record& rec : u->records) {
            const long li = index_of(rec.conn.key, n);
            const int ps = pass_of(rec.conn.mark);
            if (li >= 0 && ps >= 0 && t_send[ps][static_cast<std::size_t>(li)] == 0) {
              t_send[ps][static_cast<std::size_t>(li)] = t;
            }
          }
        }
      }
      if (sender.peer_epoch() != kUnknownEpoch) ready = true;
      for (int ps = 0; ps < 2; ++ps) {
        if (!pass_done[ps].load() && first[ps] != 0 && seen[ps] == n && sender.in_sync()) {
          done[ps] = now_ns();
          pass_done[ps] = true;
        }
      }
    }
    const auto& sc2 = sender.counters();
    counters["a"] = {{"cpu_s", thread_cpu_s()},
                     {"events_created", cap->counters().created},
                     {"events_updated", cap->counters().updated},
                     {"events_lost", cap->counters().lost},
                     {"overruns", cap->counters().overruns},
                     {"repair_dumps", dumps},
                     {"foreign_events", foreign},
                     {"records_sent", sc2.records_sent},
                     {"records_retransmitted", sc2.records_retransmitted},
                     {"updates_sent", sc2.updates_sent},
                     {"acks_received", sc2.acks_received},
                     {"messages_lost", sc2.messages_lost},
                     {"messages_timed_out", sc2.messages_timed_out},
                     {"send_failures", sends_failed},
                     {"srtt_ms", std::chrono::duration<double, std::milli>(sender.srtt()).count()},
                     {"rto_ms", std::chrono::duration<double, std::milli>(sender.rto()).count()},
                     {"in_sync", sender.in_sync()},
                     {"pending", sender.pending()},
                     {"in_flight", sender.in_flight()}};
  });

  std::string driver_error;
  double driver_cpu = 0;
  std::size_t driver_replaced = 0;
  Driver::run(
      net.ns_a, conns, pace, t_write, first,
      [&] { return wait_for(ready, 5000ms); },
      [&](int p) { return wait_for(pass_done[p], pass_limit); }, driver_error, driver_cpu,
      driver_replaced);
  stop = true;
  a.join();
  b.join();
  counters["driver_cpu_s"] = driver_cpu;
  counters["driver_replaced"] = driver_replaced;

  RoundResult r;
  if (!driver_error.empty()) {
    r.ok = false;
    r.reason = driver_error;
  } else {
    r = finish(t_write, t_inst, first, done);
    const RoundResult from_read = finish(t_read, t_inst, first, done);
    for (int p = 0; p < 2; ++p) r.from_read[p] = from_read.pass[p];
    r.from_read[2] = from_read.combined;
    r.has_from_read = true;
    const std::vector<std::int64_t>(*chain[kStages + 1])[2] = {&t_write, &t_read, &t_send,
                                                               &t_queued, &t_recv, &t_inst};
    for (int k = 0; k < kStages; ++k) r.stage[k] = stage_figure(*chain[k], *chain[k + 1]);
    r.has_stages = true;
    // HSB_STAMPS=<prefix>: every entry's stamps (ns, steady clock) to <prefix>.<round>.csv,
    // for looking at where in a pass the tail happens.
    if (const char* prefix = std::getenv("HSB_STAMPS"); prefix != nullptr && pace > 0) {
      static int written = 0;
      std::ofstream out(fmt::format("{}.{}.csv", prefix, written++));
      out << "pass,i,write,read,send,queued,recv,inst\n";
      for (int p = 0; p < 2; ++p) {
        for (std::size_t i = 0; i < n; ++i) {
          out << p << ',' << i;
          for (int k = 0; k <= kStages; ++k) out << ',' << (*chain[k])[p][i];
          out << '\n';
        }
      }
    }
    if (std::string v = verify(net.ns_b, n); !v.empty()) {
      r.ok = false;
      r.reason = v;
    }
  }
  r.counters = counters;
  return r;
}

// --- conntrackd ------------------------------------------------------------------------------

RoundResult conntrackd_round(const std::string& ns_a, const std::string& ns_b, double pace,
                             const std::vector<Conn>& conns,
                             std::chrono::milliseconds pass_limit) {
  const std::size_t n = conns.size();
  // Empty both tables: A's flush goes to B through conntrackd; then B's leftovers.
  flush(ns_a);
  long left = -1;
  in_ns(ns_b, [&] {
    const auto end = SteadyClock::now() + 30s;
    while ((left = conntrack_count()) > 0 && SteadyClock::now() < end) std::this_thread::sleep_for(10ms);
  });
  flush(ns_b);
  std::this_thread::sleep_for(300ms);

  std::vector<std::int64_t> t_write[2] = {std::vector<std::int64_t>(n), std::vector<std::int64_t>(n)};
  std::vector<std::int64_t> t_seen[2] = {std::vector<std::int64_t>(n), std::vector<std::int64_t>(n)};
  std::atomic<std::int64_t> first[2] = {0, 0};
  std::int64_t done[2] = {0, 0};
  std::atomic<bool> stop{false}, ready_b{false};
  std::atomic<bool> pass_done[2] = {false, false};
  nlohmann::json counters;

  ct::CaptureOptions big;  // the bench's listener in B: sees conntrackd's installs
  big.rcvbuf_bytes = 64 << 20;

  std::thread watch_b([&] {
    if (auto s = testing::enter_netns(ns_b); !s) die(s.error().message);
    auto cap = ct::Capture::open(big);
    if (!cap) die(cap.error().message);
    std::size_t seen[2] = {0, 0};
    ready_b = true;
    std::int64_t last_dump = 0;
    while (!stop.load()) {
      pollfd p{cap->fd(), POLLIN, 0};
      (void)::poll(&p, 1, 5);
      auto stamp = [&](const Conn& c, std::int64_t t) {
        const long i = index_of(c.key, n);
        const int ps = pass_of(c.mark);
        if (i < 0 || ps < 0) return;
        for (int q = 0; q <= ps; ++q) {  // an entry in the update's state also counts as created
          if (t_seen[q][static_cast<std::size_t>(i)] == 0) {
            t_seen[q][static_cast<std::size_t>(i)] = t;
            ++seen[q];
          }
        }
      };
      auto k = cap->drain([&](const ct::Event& e) {
        if (e.kind != ct::EventKind::destroyed) stamp(e.conn, now_ns());
      });
      if (!k) die(k.error().message);
      // If this listener lost events, find the rest by dumping B (at most every 200 ms).
      const std::int64_t t = now_ns();
      if (cap->counters().lost + cap->counters().overruns > 0 && t - last_dump > 200'000'000) {
        last_dump = t;
        auto d = cap->dump([&](const Conn& c) { stamp(c, t); });
        if (!d) die(d.error().message);
      }
      for (int ps = 0; ps < 2; ++ps) {
        if (!pass_done[ps].load() && first[ps] != 0 && seen[ps] == n) {
          done[ps] = now_ns();
          pass_done[ps] = true;
        }
      }
    }
    counters["b_listener_lost"] = cap->counters().lost;
    counters["b_seen_create"] = seen[0];
    counters["b_seen_update"] = seen[1];
  });

  std::string driver_error;
  double driver_cpu = 0;
  std::size_t driver_replaced = 0;
  Driver::run(
      ns_a, conns, pace, t_write, first,
      [&] { return wait_for(ready_b, 5000ms); },
      [&](int p) { return wait_for(pass_done[p], pass_limit); }, driver_error, driver_cpu,
      driver_replaced);
  stop = true;
  watch_b.join();
  counters["driver_cpu_s"] = driver_cpu;
  counters["driver_replaced"] = driver_replaced;

  RoundResult r;
  if (!driver_error.empty()) {
    r.ok = false;
    long count_b = -1;
    in_ns(ns_b, [&] { count_b = conntrack_count(); });
    const std::string v = verify(ns_b, n);
    r.reason = fmt::format("{}: after {} s, B's table holds {} entries; {}", driver_error,
                           pass_limit.count() / 1000, count_b,
                           v.empty() ? "the final state is complete now" : v);
  } else {
    r = finish(t_write, t_seen, first, done);
    if (std::string v = verify(ns_b, n); !v.empty()) {
      r.ok = false;
      r.reason = v;
    }
  }
  r.counters = counters;
  return r;
}

// --- output ----------------------------------------------------------------------------------

nlohmann::json pass_json(const PassFigure& f) {
  return {{"seconds", f.seconds},
          {"updates_per_s", f.per_s},
          {"lag_ms", {{"p50", f.p50_ms}, {"p99", f.p99_ms}, {"max", f.max_ms}}},
          {"lag_samples", f.samples}};
}

std::string kernel_release() {
  utsname u{};
  return ::uname(&u) == 0 ? u.release : "?";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"HyperSync end to end between two namespaces, with conntrackd as the baseline"};
  std::size_t n = 100'000;
  int rounds = 3;
  bool json = false;
  Net net;
  net.addr_a = "198.18.0.1";
  net.addr_b = "198.18.0.2";
  std::string ctd_a, ctd_b;
  std::size_t window = 256;
  double rate = 0;
  bool no_defaults = false, no_listener_b = false;
  std::size_t b_batch = 256;
  double paced = 20'000;
  int pass_limit_s = 60;
  app.add_option("--n", n, "connections driven (each created, then updated)")->check(CLI::Range(1, 1 << 24));
  app.add_option("--rounds", rounds, "rounds (medians are reported)")->check(CLI::PositiveNumber);
  app.add_flag("--json", json, "print one JSON object");
  app.add_option("--ns-a", net.ns_a, "baton's namespace A (else the bench makes its own pair)");
  app.add_option("--ns-b", net.ns_b, "baton's namespace B");
  app.add_option("--addr-a", net.addr_a, "A's address on the sync veth");
  app.add_option("--addr-b", net.addr_b, "B's address on the sync veth");
  app.add_option("--port", net.port, "sync UDP port");
  app.add_option("--ctd-ns-a", ctd_a, "conntrackd's namespace A (conntrackd running in both)");
  app.add_option("--ctd-ns-b", ctd_b, "conntrackd's namespace B");
  app.add_option("--window", window, "PeerSender window for the raised configuration");
  app.add_option("--rate", rate, "PeerSender records/s for the raised configuration (0: none)");
  app.add_flag("--no-defaults", no_defaults, "skip the run with PeerSender's defaults");
  app.add_flag("--no-listener-b", no_listener_b, "no agent Capture in B");
  bool only_paced = false;
  app.add_flag("--only-paced", only_paced, "run only the paced systems (for the lag under load)");
  app.add_option("--paced", paced,
                 "also run each system with the driver paced at this many entries/s, for the "
                 "lag under a load it sustains (0: skip)");
  app.add_option("--b-batch", b_batch, "records B installs per Installer::apply, at most");
  app.add_option("--pass-limit", pass_limit_s, "seconds a pass may take before it fails");
  CLI11_PARSE(app, argc, argv);
  (void)log::setup("hypersync_bench", "error");

  if (geteuid() != 0) {
    std::fprintf(stderr, "hypersync_bench: needs root (network namespaces, ctnetlink)\n");
    return 2;
  }
  if (n > (1U << 24)) die("--n: at most 16777216");
  if (net.ns_a.empty() != net.ns_b.empty()) die("--ns-a and --ns-b go together");
  if (ctd_a.empty() != ctd_b.empty()) die("--ctd-ns-a and --ctd-ns-b go together");

  // Our own pair when none is given: two namespaces and a veth, removed at exit.
  std::optional<testing::Lab> lab;
  if (net.ns_a.empty()) {
    auto l = testing::Lab::create();
    if (!l) die(l.error().message);
    lab.emplace(std::move(*l));
    for (const char* s : {"a", "b"}) {
      if (auto st = lab->add_netns(s); !st) die(st.error().message);
    }
    if (auto st = lab->add_veth("a", "hsa", "b", "hsb"); !st) die(st.error().message);
    if (auto st = lab->must("a", "ip addr add " + net.addr_a + "/30 dev hsa"); !st) die(st.error().message);
    if (auto st = lab->must("b", "ip addr add " + net.addr_b + "/30 dev hsb"); !st) die(st.error().message);
    net.ns_a = lab->ns("a");
    net.ns_b = lab->ns("b");
  }

  std::vector<std::uint8_t> master(32);
  std::random_device rd;
  for (auto& byte : master) byte = static_cast<std::uint8_t>(rd());
  const auth::Key key = sync_key(auth::Key(master));
  std::vector<Conn> conns(n);
  for (std::size_t i = 0; i < n; ++i) conns[i] = entry(i);
  const auto limit = std::chrono::milliseconds(std::int64_t{pass_limit_s} * 1000);

  BatonConfig raised;
  raised.window = window;
  raised.rate = rate;
  raised.burst = rate > 0 ? std::max(4000.0, rate / 50) : 4000;
  raised.listener_b = !no_listener_b;
  raised.b_batch = b_batch;
  BatonConfig defaults;
  defaults.listener_b = !no_listener_b;
  defaults.b_batch = b_batch;

  const nlohmann::json raised_json = {{"window", raised.window},
                                      {"records_per_s", raised.rate},
                                      {"burst", raised.burst},
                                      {"listener_in_b", raised.listener_b},
                                      {"b_batch_records", raised.b_batch}};
  const nlohmann::json defaults_json = {{"window", defaults.window},
                                        {"records_per_s", defaults.rate},
                                        {"burst", defaults.burst},
                                        {"listener_in_b", defaults.listener_b},
                                        {"b_batch_records", defaults.b_batch}};
  const nlohmann::json ctd_json = {{"mode", "FTFW, DisableExternalCache On"},
                                   {"ns_a", ctd_a}, {"ns_b", ctd_b}};
  std::vector<SystemResult> systems;
  if (only_paced && paced <= 0) die("--only-paced needs --paced above 0");
  if (!only_paced) {
    systems.push_back({"baton", raised_json, false, false, 0, {}});
    if (!no_defaults) systems.push_back({"baton-defaults", defaults_json, false, true, 0, {}});
    if (!ctd_a.empty()) systems.push_back({"conntrackd", ctd_json, true, false, 0, {}});
  }
  if (paced > 0) {
    const std::string at = fmt::format("@{:.0f}/s", paced);
    systems.push_back({"baton" + at, raised_json, false, false, paced, {}});
    if (!ctd_a.empty()) systems.push_back({"conntrackd" + at, ctd_json, true, false, paced, {}});
  }

  std::uint64_t epoch = 1000;
  for (int r = 0; r < rounds; ++r) {
    for (auto& s : systems) {
      if (!json) std::fprintf(stderr, "round %d/%d: %s ...\n", r + 1, rounds, s.name.c_str());
      RoundResult rr;
      if (s.conntrackd) {
        rr = conntrackd_round(ctd_a, ctd_b, s.pace, conns, limit);
      } else {
        rr = baton_round(net, s.defaults ? defaults : raised, s.pace, conns, key, epoch, limit);
        epoch += 10;
      }
      if (!json) {
        if (rr.ok) {
          std::fprintf(stderr, "  create %.0f/s p99 %.2f ms, update %.0f/s p99 %.2f ms\n",
                       rr.pass[0].per_s, rr.pass[0].p99_ms, rr.pass[1].per_s, rr.pass[1].p99_ms);
          if (rr.has_stages) {
            std::fprintf(stderr, "  stages p50/p99/max ms:");
            for (int k = 0; k < kStages; ++k) {
              std::fprintf(stderr, " %s %.2f/%.2f/%.2f", kStageName[k], rr.stage[k].p50_ms,
                           rr.stage[k].p99_ms, rr.stage[k].max_ms);
            }
            std::fprintf(stderr, "\n");
          }
        } else {
          std::fprintf(stderr, "  FAILED: %s\n", rr.reason.c_str());
        }
      }
      s.rounds.push_back(std::move(rr));
    }
  }
  flush(net.ns_a);
  flush(net.ns_b);
  if (!ctd_a.empty()) {
    flush(ctd_a);
    std::this_thread::sleep_for(500ms);
    flush(ctd_b);
  }

  // The ratio compares the runs at full speed: baton (raised window) over conntrackd.
  const SystemResult* baton_sys = &systems[0];
  const SystemResult* ctd_sys = nullptr;
  for (const auto& s : systems) {
    if (s.conntrackd && s.pace == 0) ctd_sys = &s;
  }
  const bool ratio_ok = ctd_sys != nullptr && baton_sys->ok_rounds() > 0 && ctd_sys->ok_rounds() > 0;
  auto ratio = [&](int which) {
    const double d = ctd_sys->med(which).per_s;
    return d > 0 ? baton_sys->med(which).per_s / d : 0;
  };
  const char* const note =
      "2 shared vCPUs, noisy (other work runs on them): figures move by 10-20 % or more "
      "between runs; medians over the rounds that passed";

  if (json) {
    nlohmann::json j;
    j["n"] = n;
    j["rounds"] = rounds;
    j["kernel"] = kernel_release();
    j["cpus"] = std::thread::hardware_concurrency();
    j["note"] = note;
    for (const auto& s : systems) {
      nlohmann::json js = {{"name", s.name}, {"config", s.config}, {"ok", s.ok()},
                           {"rounds_ok", s.ok_rounds()}, {"driver_pace_per_s", s.pace}};
      if (!s.ok()) js["reason"] = s.reason();
      js["create"] = pass_json(s.med(0));
      js["update"] = pass_json(s.med(1));
      js["combined"] = pass_json(s.med(2));
      if (!s.conntrackd) {
        js["lag_from_event_read_ms"] = {
            {"create", pass_json(s.med(0, true))["lag_ms"]},
            {"update", pass_json(s.med(1, true))["lag_ms"]},
            {"combined", pass_json(s.med(2, true))["lag_ms"]}};
        for (int k = 0; k < kStages; ++k) {
          js["stages_ms"][kStageName[k]] = pass_json(s.med(2, false, k))["lag_ms"];
        }
      }
      for (const auto& rr : s.rounds) js["round_counters"].push_back(rr.counters);
      j["systems"].push_back(js);
    }
    if (ratio_ok) {
      j["ratio_baton_over_conntrackd"] = {{"create", ratio(0)}, {"update", ratio(1)},
                                          {"combined", ratio(2)}};
    } else {
      j["ratio_baton_over_conntrackd"] = nullptr;
    }
    std::cout << j.dump(2) << "\n";
  } else {
    std::printf("HyperSync end to end, N = %zu connections, kernel %s, %u CPUs\n", n,
                kernel_release().c_str(), std::thread::hardware_concurrency());
    std::printf("%-18s %-7s %12s %10s %10s %10s %8s\n", "system", "pass", "updates/s",
                "lag p50", "lag p99", "lag max", "samples");
    for (const auto& s : systems) {
      if (!s.ok()) {
        std::printf("%-18s FAILED in %zu of %zu rounds: %s\n", s.name.c_str(),
                    s.rounds.size() - s.ok_rounds(), s.rounds.size(), s.reason().c_str());
        if (s.ok_rounds() == 0) continue;
      }
      for (int w = 0; w < 3; ++w) {
        const PassFigure f = s.med(w);
        std::printf("%-18s %-7s %12.0f %8.2fms %8.2fms %8.2fms %8zu\n", s.name.c_str(),
                    w == 2 ? "both" : kPassName[w], f.per_s, f.p50_ms, f.p99_ms, f.max_ms,
                    f.samples);
      }
    }
    for (const auto& s : systems) {
      if (s.conntrackd || s.ok_rounds() == 0) continue;
      const PassFigure f = s.med(2, true);
      std::printf("%-18s lag from the event's read in A: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                  s.name.c_str(), f.p50_ms, f.p99_ms, f.max_ms);
      std::printf("%-18s stages p50/p99/max ms:", s.name.c_str());
      for (int k = 0; k < kStages; ++k) {
        const PassFigure g = s.med(2, false, k);
        std::printf(" %s %.2f/%.2f/%.2f", kStageName[k], g.p50_ms, g.p99_ms, g.max_ms);
      }
      std::printf("\n");
    }
    if (ratio_ok) {
      std::printf("ratio baton / conntrackd (updates/s): create %.2f, update %.2f, both %.2f\n",
                  ratio(0), ratio(1), ratio(2));
    } else if (ctd_sys != nullptr) {
      std::printf("ratio: not available (a system failed in every round)\n");
    }
    std::printf("baton: window %zu, %s; defaults: window 32, 200000 records/s, burst 4000\n",
                raised.window,
                raised.rate > 0 ? fmt::format("{:.0f} records/s", raised.rate).c_str()
                                : "no rate limit");
    std::printf("lag: the driver's write into A's table (its request sent) -> the entry in B's "
                "table (baton: its install returned; conntrackd: its event read by the bench in "
                "B)\n");
    std::printf("(%s; %d rounds)\n", note, rounds);
  }
  bool baton_ok = true;
  for (const auto& s : systems) {
    if (!s.conntrackd && !s.ok()) baton_ok = false;
  }
  if (!baton_ok) return 1;
  for (const auto& s : systems) {
    if (s.conntrackd && !s.ok()) return 3;
  }
  return 0;
}
