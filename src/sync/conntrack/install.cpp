#include "sync/conntrack/install.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sync/conntrack/nfct.hpp"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace baton::sync::ct {

using detail::errno_text;

std::uint32_t creatable_status(std::uint32_t status) { return detail::creatable_status(status); }

namespace {

constexpr int kPending = -1;
constexpr int kAckTimeoutMs = 5000;
constexpr std::size_t kRecvBytes = 256 * 1024;

enum class OpKind : std::uint8_t { create, update, remove, set_timeout };

struct Op {
  OpKind kind = OpKind::create;
  const Conn* conn = nullptr;    // create, update
  const ConnKey* key = nullptr;  // remove, set_timeout
  std::uint16_t zone = 0;        // remove, set_timeout
  std::uint32_t timeout = 0;     // set_timeout
  int result = kPending;         // 0 or a positive errno
  std::string detail;            // the kernel's extended ack message, if any
};

Op create_op(const Conn& c) {
  Op op;
  op.kind = OpKind::create;
  op.conn = &c;
  return op;
}

Op update_op(const Conn& c) {
  Op op;
  op.kind = OpKind::update;
  op.conn = &c;
  return op;
}

Op remove_op(const ConnKey& k, std::uint16_t zone) {
  Op op;
  op.kind = OpKind::remove;
  op.key = &k;
  op.zone = zone;
  return op;
}

Op timeout_op(const ConnKey& k, std::uint32_t timeout) {
  Op op;
  op.kind = OpKind::set_timeout;
  op.key = &k;
  op.timeout = timeout;
  return op;
}

std::string describe(const Op& op, int e) {
  const bool upsert = op.kind == OpKind::create || op.kind == OpKind::update;
  const ConnKey& k = upsert ? op.conn->key : *op.key;
  const char* what = op.kind == OpKind::create   ? "create"
                     : op.kind == OpKind::update ? "update"
                     : op.kind == OpKind::remove ? "delete"
                                                 : "set timeout of";
  std::string s = fmt::format("{} {}: {}", what, to_string(k), std::strerror(e));
  if (!op.detail.empty()) s += fmt::format(" ({})", op.detail);
  return s;
}

void fail(ApplyStats& st, const Op& op) {
  ++st.failed;
  if (st.first_error.empty()) st.first_error = describe(op, op.result);
}

// NLMSGERR_ATTR_MSG of an extended ack, if the kernel sent one.
std::string extack_message(const nlmsghdr* nlh) {
  if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return {};
  const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  std::size_t off = MNL_NLMSG_HDRLEN + sizeof(nlmsgerr);
  if ((nlh->nlmsg_flags & NLM_F_CAPPED) == 0) off += e->msg.nlmsg_len - MNL_NLMSG_HDRLEN;
  if (nlh->nlmsg_len <= off) return {};
  const auto* a = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(nlh) + off);
  int left = static_cast<int>(nlh->nlmsg_len - off);
  while (mnl_attr_ok(a, left)) {
    if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG) {
      return std::string(static_cast<const char*>(mnl_attr_get_payload(a)),
                         strnlen(static_cast<const char*>(mnl_attr_get_payload(a)),
                                 mnl_attr_get_payload_len(a)));
    }
    left -= static_cast<int>(MNL_ALIGN(a->nla_len));
    a = mnl_attr_next(a);
  }
  return {};
}

}  // namespace

struct Installer::Impl {
  detail::MnlPtr nl;
  InstallerOptions options;
  std::uint32_t seq = 0;
  std::vector<char> sendbuf;
  std::vector<char> recvbuf;
  bool last_mostly_existing = false;  // the last apply() found most of its entries there

  int fd() const { return mnl_socket_get_fd(nl.get()); }

  // Builds op `i` (sequence number `seq`) at `where`; `ack`: ask for an ack on success too
  // (errors are always answered).
  static void build(void* where, Op& op, std::uint32_t seq, bool ack) {
    detail::NfctPtr ct = detail::new_nfct();
    nlmsghdr* nlh;
    if (op.kind == OpKind::create) {
      nlh = detail::put_request(where, IPCTNL_MSG_CT_NEW,
                                NLM_F_CREATE | NLM_F_EXCL | (ack ? NLM_F_ACK : 0), seq,
                                detail::af_of(op.conn->key.family));
      detail::set_for_create(ct.get(), *op.conn);
    } else if (op.kind == OpKind::update) {
      // CT_NEW without NLM_F_CREATE changes the existing entry in place (ENOENT if there is
      // none): timeout, status bits (set only), TCP state and flags, mark. It ignores the reply
      // tuple, and refuses NAT (EOPNOTSUPP) and status changes it cannot make (EBUSY).
      nlh = detail::put_request(where, IPCTNL_MSG_CT_NEW, ack ? NLM_F_ACK : 0, seq,
                                detail::af_of(op.conn->key.family));
      detail::set_for_create(ct.get(), *op.conn);
    } else if (op.kind == OpKind::remove) {
      nlh = detail::put_request(where, IPCTNL_MSG_CT_DELETE, ack ? NLM_F_ACK : 0, seq,
                                detail::af_of(op.key->family));
      detail::set_key(ct.get(), *op.key, op.zone);
    } else {
      // CT_NEW without NLM_F_CREATE changes an existing entry (ENOENT if there is none); with
      // only the timeout set, only the timeout changes.
      nlh = detail::put_request(where, IPCTNL_MSG_CT_NEW, ack ? NLM_F_ACK : 0, seq,
                                detail::af_of(op.key->family));
      detail::set_key(ct.get(), *op.key, op.zone);
      nfct_set_attr_u32(ct.get(), ATTR_TIMEOUT, op.timeout);
    }
    if (nfct_nlmsg_build(nlh, ct.get()) < 0) panic("nfct_nlmsg_build refused a complete entry");
  }

  // Waits for the answers to ops[begin, end), whose sequence numbers are base + index. The
  // kernel handles the messages of one sendmsg in order, before sendmsg returns, and answers
  // each failure; the last message of a batch always asks for an ack. So once the last one is
  // answered, every op of the batch without an answer succeeded.
  Status collect(std::span<Op> ops, std::size_t begin, std::size_t end, std::uint32_t base) {
    std::size_t left = end - begin;
    while (left > 0 && ops[end - 1].result == kPending) {
      const ssize_t n = recv(fd(), recvbuf.data(), recvbuf.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          pollfd p{fd(), POLLIN, 0};
          const int r = poll(&p, 1, kAckTimeoutMs);
          if (r < 0 && errno != EINTR) return Error{errno_text("poll(ctnetlink socket)")};
          if (r == 0) break;
          continue;
        }
        if (errno == ENOBUFS) {
          // Acks were dropped: the receive buffer is too small for one batch's acks. What
          // is still queued is read; what is missing is reported as failed below.
          spdlog::warn("conntrack install: acknowledgements lost (ENOBUFS); lower batch_bytes "
                       "or raise rcvbuf_bytes");
          continue;
        }
        return Error{errno_text("recv(ctnetlink acknowledgements)")};
      }
      int len = static_cast<int>(n);
      for (auto* nlh = reinterpret_cast<const nlmsghdr*>(recvbuf.data()); mnl_nlmsg_ok(nlh, len);
           nlh = mnl_nlmsg_next(nlh, &len)) {
        if (nlh->nlmsg_type != NLMSG_ERROR) continue;
        const std::uint32_t i = nlh->nlmsg_seq - base;
        if (i < begin || i >= end || ops[i].result != kPending) continue;
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        ops[i].result = -e->error;
        if (e->error != 0) ops[i].detail = extack_message(nlh);
        --left;
      }
    }
    const bool complete = ops[end - 1].result != kPending;
    for (std::size_t i = begin; i < end; ++i) {
      if (ops[i].result != kPending) continue;
      if (complete && !options.ack_every_request) {
        ops[i].result = 0;
      } else {
        ops[i].result = ETIMEDOUT;
        ops[i].detail = "no answer from the kernel";
      }
    }
    return {};
  }

  Status send(std::size_t bytes, const void* head) {
    for (;;) {
      if (mnl_socket_sendto(nl.get(), head, bytes) >= 0) return {};
      if (errno == EINTR) continue;
      return Error{errno_text("sendmsg(ctnetlink batch)")};
    }
  }

  // Sends ops in batches of at most options.batch_bytes (or one per sendmsg) and records
  // each op's result.
  Status run(std::span<Op> ops, bool one_by_one, ApplyStats& st) {
    if (ops.empty()) return {};
    const std::uint32_t base = seq + 1;
    seq += static_cast<std::uint32_t>(ops.size());
    const std::size_t limit = one_by_one ? 4096 : options.batch_bytes;
    mnl_nlmsg_batch* b = mnl_nlmsg_batch_start(sendbuf.data(), limit);
    if (b == nullptr) return Error{errno_text("mnl_nlmsg_batch_start")};
    std::size_t begin = 0;
    Status status;
    nlmsghdr* last = nullptr;  // the last message that fit in the current batch
    for (std::size_t i = 0; i < ops.size() && status.ok(); ++i) {
      auto* nlh = static_cast<nlmsghdr*>(mnl_nlmsg_batch_current(b));
      build(nlh, ops[i], base + static_cast<std::uint32_t>(i),
            options.ack_every_request || one_by_one);
      const bool room = mnl_nlmsg_batch_next(b);
      if (room) last = nlh;
      if (!room || one_by_one) {
        // Without room, op i overflowed and goes first in the next batch.
        const std::size_t end = room ? i + 1 : i;
        if (end > begin) {
          last->nlmsg_flags |= NLM_F_ACK;
          ++st.batches;
          status = send(mnl_nlmsg_batch_size(b), mnl_nlmsg_batch_head(b));
          if (status.ok()) status = collect(ops, begin, end, base);
        }
        mnl_nlmsg_batch_reset(b);
        // After a reset, the overflowed message (if any) is the batch's first and last.
        last = room ? nullptr : static_cast<nlmsghdr*>(mnl_nlmsg_batch_head(b));
        begin = end;
      }
    }
    if (status.ok() && !mnl_nlmsg_batch_is_empty(b)) {
      last->nlmsg_flags |= NLM_F_ACK;
      ++st.batches;
      status = send(mnl_nlmsg_batch_size(b), mnl_nlmsg_batch_head(b));
      if (status.ok()) status = collect(ops, begin, ops.size(), base);
    }
    mnl_nlmsg_batch_stop(b);
    return status;
  }
};

Installer::Installer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Installer::Installer(Installer&&) noexcept = default;
Installer& Installer::operator=(Installer&&) noexcept = default;
Installer::~Installer() = default;

Result<Installer> Installer::open(InstallerOptions options) {
  auto impl = std::make_unique<Impl>();
  auto nl = detail::open_netfilter_socket(0);
  if (!nl) return nl.error();
  impl->nl = std::move(*nl);
  const int fd = impl->fd();
  auto granted = detail::set_buffer(fd, true, options.rcvbuf_bytes);
  if (!granted) return granted.error();
  // One batch must fit the send buffer (netlink refuses larger messages with EMSGSIZE).
  auto snd = detail::set_buffer(fd, false, static_cast<int>(options.batch_bytes) * 2 + 65536);
  if (!snd) return snd.error();
  const int one = 1;
  // Errors carry only the failed request's header, not the whole request; and the kernel's
  // explanation when it has one.
  if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one) < 0) {
    spdlog::debug("conntrack install: {}", errno_text("setsockopt(NETLINK_CAP_ACK)"));
  }
  if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one) < 0) {
    spdlog::debug("conntrack install: {}", errno_text("setsockopt(NETLINK_EXT_ACK)"));
  }
  // Each batch uses its own range of sequence numbers; start somewhere unpredictable enough
  // that a stale ack from a previous socket user never matches.
  impl->seq = static_cast<std::uint32_t>(time(nullptr)) << 8;
  impl->options = options;
  // mnl_nlmsg_batch needs room for one message past the limit.
  impl->sendbuf.resize(options.batch_bytes * 2 + 8192);
  impl->recvbuf.resize(kRecvBytes);
  return Installer(std::move(impl));
}

std::uint32_t Installer::portid() const { return mnl_socket_get_portid(impl_->nl.get()); }

namespace {

bool natted(const Conn& c) { return (c.status & (IPS_SRC_NAT | IPS_DST_NAT)) != 0; }

// An in-place update refused for what it cannot change; delete and create instead.
bool cannot_update(int e) { return e == EBUSY || e == EOPNOTSUPP || e == ETIME; }

}  // namespace

Result<ApplyStats> Installer::apply(std::span<const Conn> upserts,
                                    std::span<const ConnKey> removes) {
  ApplyStats st;
  // What each upsert tries next. An entry NAT'd by the sender cannot be updated in place (the
  // kernel refuses CTA_NAT_* on an existing entry), so it is created, or replaced.
  enum class Step : std::uint8_t { update, create, replace, done };
  struct Pending {
    const Conn* conn;
    Step step;
    bool tried_update = false;
    bool tried_create = false;
  };
  const bool update_first =
      impl_->options.upsert_order == UpsertOrder::update_first ||
      (impl_->options.upsert_order == UpsertOrder::adaptive && impl_->last_mostly_existing);
  std::vector<Pending> pending;
  pending.reserve(upserts.size());
  for (const Conn& c : upserts)
    pending.push_back({&c, update_first && !natted(c) ? Step::update : Step::create});

  std::vector<Op> ops;
  ops.reserve(upserts.size() + removes.size());
  for (const ConnKey& k : removes) ops.push_back(remove_op(k, 0));
  std::vector<std::size_t> owner;  // ops[i] belongs to pending[owner[i]] (removes: none)
  owner.assign(ops.size(), upserts.size());

  // Rounds: each sends what every unresolved upsert tries next; a create that finds the entry
  // there tries an update, an update that finds none tries a create, an update refused is a
  // delete and a create (adjacent in one sendmsg). Four rounds cover every path and a race or
  // two with the packet path; what is left then counts as failed.
  for (int round = 0; round < 4; ++round) {
    for (std::size_t i = 0; i < pending.size(); ++i) {
      Pending& p = pending[i];
      if (p.step == Step::update) {
        ops.push_back(update_op(*p.conn));
        owner.push_back(i);
      } else if (p.step == Step::create) {
        ops.push_back(create_op(*p.conn));
        owner.push_back(i);
      } else if (p.step == Step::replace) {
        ops.push_back(remove_op(p.conn->key, p.conn->zone));
        owner.push_back(i);
        ops.push_back(create_op(*p.conn));
        owner.push_back(i);
      }
    }
    if (ops.empty()) break;
    if (auto s = impl_->run(ops, false, st); !s) return s.error();
    for (std::size_t j = 0; j < ops.size(); ++j) {
      const Op& op = ops[j];
      if (owner[j] == upserts.size()) {  // a remove
        if (op.result == 0) {
          ++st.removed;
        } else if (op.result == ENOENT) {
          ++st.missing;
        } else {
          fail(st, op);
        }
        continue;
      }
      Pending& p = pending[owner[j]];
      const bool last_round = round == 3;
      if (p.step == Step::update) {
        p.tried_update = true;
        if (op.result == 0) {
          ++st.updated;
          p.step = Step::done;
        } else if (op.result == ENOENT && !last_round) {
          p.step = Step::create;
        } else if (cannot_update(op.result) && !last_round) {
          p.step = Step::replace;
        } else {
          fail(st, op);
          p.step = Step::done;
        }
      } else if (p.step == Step::create) {
        p.tried_create = true;
        if (op.result == 0) {
          ++st.created;
          p.step = Step::done;
        } else if (op.result == EEXIST && !last_round) {
          p.step = natted(*p.conn) || p.tried_update ? Step::replace : Step::update;
        } else {
          fail(st, op);
          p.step = Step::done;
        }
      } else if (p.step == Step::replace) {
        // The delete, then (j + 1) the create.
        const Op& add = ops[++j];
        if (op.result != 0 && op.result != ENOENT) {
          fail(st, op);  // the create then fails with EEXIST: one failure, the delete's
        } else if (add.result == 0) {
          ++st.replaced;
        } else {
          fail(st, add);
        }
        p.step = Step::done;
      }
    }
    ops.clear();
    owner.clear();
  }
  if (!upserts.empty()) impl_->last_mostly_existing = st.updated + st.replaced > st.created;
  return st;
}

Result<ApplyStats> Installer::expire(std::span<const ConnKey> keys, std::uint32_t timeout_s) {
  ApplyStats st;
  std::vector<Op> ops;
  ops.reserve(keys.size());
  for (const ConnKey& k : keys) ops.push_back(timeout_op(k, timeout_s));
  if (auto s = impl_->run(ops, false, st); !s) return s.error();
  for (const Op& op : ops) {
    if (op.result == 0) {
      ++st.expired;
    } else if (op.result == ENOENT) {
      ++st.missing;
    } else {
      fail(st, op);
    }
  }
  return st;
}

Result<ApplyStats> Installer::create_one_by_one(std::span<const Conn> conns) {
  ApplyStats st;
  std::vector<Op> ops;
  ops.reserve(conns.size());
  for (const Conn& c : conns) ops.push_back(create_op(c));
  if (auto s = impl_->run(ops, true, st); !s) return s.error();
  for (const Op& op : ops) {
    if (op.result == 0) {
      ++st.created;
    } else {
      fail(st, op);
    }
  }
  return st;
}

Result<std::optional<Conn>> Installer::get(const ConnKey& key, std::uint16_t zone) {
  Impl& m = *impl_;
  const std::uint32_t seq = ++m.seq;
  nlmsghdr* nlh = detail::put_request(m.sendbuf.data(), IPCTNL_MSG_CT_GET, NLM_F_ACK, seq,
                                      detail::af_of(key.family));
  {
    detail::NfctPtr ct = detail::new_nfct();
    detail::set_key(ct.get(), key, zone);
    if (nfct_nlmsg_build(nlh, ct.get()) < 0) return Error{errno_text("nfct_nlmsg_build(CT_GET)")};
  }
  if (auto s = m.send(nlh->nlmsg_len, nlh); !s) return s.error();
  std::optional<Conn> found;
  for (;;) {
    pollfd p{m.fd(), POLLIN, 0};
    const int r = poll(&p, 1, kAckTimeoutMs);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Error{errno_text("poll(ctnetlink socket)")};
    }
    if (r == 0) return err("conntrack get {}: no answer from the kernel", to_string(key));
    const ssize_t n = recv(m.fd(), m.recvbuf.data(), m.recvbuf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error{errno_text("recv(ctnetlink get)")};
    }
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(m.recvbuf.data()); mnl_nlmsg_ok(h, len);
         h = mnl_nlmsg_next(h, &len)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
        if (e->error == 0) return found;
        if (e->error == -ENOENT) return std::optional<Conn>{};
        return Error{fmt::format("conntrack get {}: {}", to_string(key), std::strerror(-e->error))};
      }
      auto d = detail::decode(h);
      if (!d) return err("conntrack get {}: {}", to_string(key), d.error().message);
      found = d->conn;
    }
  }
}

Status Installer::flush() {
  Impl& m = *impl_;
  const std::uint32_t seq = ++m.seq;
  nlmsghdr* nlh = detail::put_request(m.sendbuf.data(), IPCTNL_MSG_CT_DELETE, NLM_F_ACK, seq,
                                      AF_UNSPEC);
  if (auto s = m.send(nlh->nlmsg_len, nlh); !s) return s;
  std::vector<Op> none(1);
  none[0].kind = OpKind::remove;
  // Reuse the ack collection: one op with this sequence number.
  if (auto s = m.collect(none, 0, 1, seq); !s) return s;
  if (none[0].result != 0) return Error{errno_text("conntrack flush", none[0].result)};
  return {};
}

}  // namespace baton::sync::ct
